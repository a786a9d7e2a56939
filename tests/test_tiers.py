"""Tiers are ordered Public < Researcher < Business < Enterprise, and map to TLP clearances."""

import pytest
from django.contrib.auth import get_user_model

from apikeys.clearance import clearance_for, tier_of
from apikeys.tiers import Tier
from apikeys.tlp import TLP


def test_tier_order():
    assert Tier.PUBLIC < Tier.RESEARCHER < Tier.BUSINESS < Tier.ENTERPRISE
    assert sorted(Tier, reverse=True)[0] is Tier.ENTERPRISE
    assert Tier.from_name("business") is Tier.BUSINESS
    with pytest.raises(ValueError):
        Tier.from_name("platinum")


def test_tlp_order_and_slugs():
    assert TLP.CLEAR < TLP.GREEN < TLP.AMBER < TLP.AMBER_STRICT < TLP.RED
    assert TLP.AMBER_STRICT.slug == "amber+strict"
    assert TLP.from_slug("TLP:WHITE") is TLP.CLEAR
    assert TLP.from_slug("amber+strict") is TLP.AMBER_STRICT


@pytest.mark.django_db
def test_every_user_gets_a_public_profile_and_clearance_follows_the_tier():
    user = get_user_model().objects.create_user("ana")
    assert user.profile.tier == Tier.PUBLIC
    assert clearance_for(user) is TLP.CLEAR
    user.profile.tier = Tier.RESEARCHER
    user.profile.save()
    assert tier_of(user) is Tier.RESEARCHER and clearance_for(user) is TLP.GREEN
    user.profile.tier = Tier.BUSINESS
    assert clearance_for(user) is TLP.AMBER
    staff = get_user_model().objects.create_user("sam", is_staff=True)
    assert clearance_for(staff) is TLP.RED
    assert clearance_for(None) is TLP.CLEAR
