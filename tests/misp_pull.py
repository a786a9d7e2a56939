"""Pull a MISP feed through the test client the way a MISP instance does, into a folder."""

from __future__ import annotations

from pathlib import Path

from django.test import Client

from tests.access import Caller


def get(client: Client, url: str, caller: Caller | None = None, **extra):
    if caller is None:
        client.logout()
        return client.get(url, **extra)
    return caller.get(client, url, **extra)


def pull(client: Client, base: str, folder: Path, caller: Caller | None = None) -> dict:
    """GET manifest.json, every listed <uuid>.json and hashes.csv under ``base``; return the manifest."""
    folder.mkdir(parents=True, exist_ok=True)
    response = get(client, f"{base}/manifest.json", caller)
    assert response.status_code == 200, response.content[:300]
    (folder / "manifest.json").write_bytes(response.content)
    manifest = response.json()
    for event_uuid in manifest:
        event = get(client, f"{base}/{event_uuid}.json", caller)
        assert event.status_code == 200, (event_uuid, event.content[:300])
        (folder / f"{event_uuid}.json").write_bytes(event.content)
    hashes = get(client, f"{base}/hashes.csv", caller)
    assert hashes.status_code == 200
    (folder / "hashes.csv").write_bytes(hashes.content)
    return manifest
