"""IOCs in tables, lists, code blocks and Markdown/AsciiDoc/HTML markup are found, with their
context (sentence or table row) and where they sat."""

from iocs.extraction import extract_iocs


def _by_value(text: str) -> dict[str, object]:
    return {x.value: x for x in extract_iocs(text)}


def test_markdown_code_block_table_and_list():
    text = (
        "# Report\n\nSome prose mentions nothing.\n\n## Network indicators\n\n"
        "```\nevil-one[.]com\n```\n\n"
        "| Domain | Role |\n|---|---|\n| evil-two[.]net | C2 server |\n\n"
        "- evil-three[.]org\n"
    )
    found = _by_value(text)
    assert found["evil-one.com"].block == "code" and found["evil-one.com"].standalone
    assert found["evil-two.net"].block == "table" and found["evil-two.net"].column == "Domain"
    assert "c2" in found["evil-two.net"].keywords
    assert found["evil-three.org"].block == "list"
    assert all(x.in_ioc_section for x in found.values())


def test_asciidoc_table_with_header_row_gives_columns():
    text = ("== Samples\n\n[options=\"header\"]\n|===\n|SHA-1 |Filename |C&C\n"
            "|3f1ffb5ee5dd6712999ca82371bf8b755c8a873f |x.bin |evil-c2[.]net\n|===\n")
    found = _by_value(text)
    assert found["3f1ffb5ee5dd6712999ca82371bf8b755c8a873f"].column == "SHA-1"
    assert found["evil-c2.net"].column == "C&C"
    assert found["evil-c2.net"].context.startswith("|3f1ffb5e")


def test_html_reduced_text_and_markup_links():
    text = ('<p>See <a href="https://vendor-blog.example.com/post">the post</a>.</p>\n'
            "Also https://vendor-blog.example.com/other[the other post] and [third](https://vendor-blog.example.com/3).")
    found = _by_value(text)
    for path in ("post", "other", "3"):
        assert found[f"https://vendor-blog.example.com/{path}"].link


def test_url_broken_by_trailing_bracket_or_full_stop():
    found = _by_value("(see https://evil-c2.com/a/b). Then https://evil-c2.com/c.\n<https://evil-c2.com/d>")
    assert {"https://evil-c2.com/a/b", "https://evil-c2.com/c", "https://evil-c2.com/d"} <= set(found)


def test_url_with_balanced_parentheses_keeps_them():
    assert "https://en.example.org/wiki/Foo_(bar)" in _by_value("read https://en.example.org/wiki/Foo_(bar) now")


def test_domains_in_urls_and_emails_are_reported_once_unless_alone():
    found = _by_value("Get hxxp://evil-c2.com/x and mail op@evil-mail.com.")
    assert "evil-c2.com" not in found and "evil-mail.com" not in found
    found = _by_value("Get hxxp://evil-c2.com/x. The domain evil-c2[.]com also resolves.")
    assert "evil-c2.com" in found


def test_context_is_the_sentence_in_prose():
    found = _by_value("First sentence here. The dropper downloads hxxp://evil-c2.com/p.exe daily. Last one.")
    ctx = found["http://evil-c2.com/p.exe"].context
    assert ctx.startswith("The dropper") and ctx.endswith("daily.")
    assert {"payload", "delivery"} <= found["http://evil-c2.com/p.exe"].keywords


def test_occurrences_merge_and_order_follows_first_appearance():
    found = extract_iocs("a evil-b[.]com b 198.51.100.1 c evil-b.com d")
    assert [x.value for x in found] == ["evil-b.com", "198.51.100.1"]
    assert found[0].occurrences == 2 and found[0].defanged


def test_reference_section_and_heading_are_recorded():
    found = _by_value("== References\n\n* https://blog.example-vendor.com/x\n")
    item = found["https://blog.example-vendor.com/x"]
    assert item.in_reference_section and item.heading == "References"


def test_password_column_gives_a_role():
    text = "|===\n|Hash |Backdoor password\n|3f1ffb5ee5dd6712999ca82371bf8b755c8a873f |www.not-a-c2.com\n|===\n"
    assert _by_value(text)["www.not-a-c2.com"].roles == {"password"}
