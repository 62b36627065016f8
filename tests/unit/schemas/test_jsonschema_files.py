from schemas.jsonschema_export import OUT_DIR, documents, render


def test_json_schema_files_match_the_models() -> None:
    stale = [
        name
        for name, doc in documents().items()
        if not (OUT_DIR / name).exists() or (OUT_DIR / name).read_text() != render(doc)
    ]
    assert not stale, f"run `python -m schemas` to regenerate: {stale}"


def test_no_orphan_json_schema_files() -> None:
    assert {p.name for p in OUT_DIR.glob("*.json")} == set(documents())
