"""JSON Schema files generated from the models, for producers in other languages.

`python -m schemas` rewrites ``schemas/jsonschema/*.json``; a test fails if they drift.
"""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import BaseModel

from schemas.events import KNOWN_EVENTS, Event, EventRecord

OUT_DIR = Path(__file__).parent / "jsonschema"


def documents() -> dict[str, dict[str, object]]:
    """File name -> JSON Schema document, for every public model."""
    models: dict[str, type[BaseModel]] = {"event": Event, "event_record": EventRecord}
    for name, meta in KNOWN_EVENTS.items():
        models[f"metadata.{name}"] = meta
    return {f"{name}.json": model.model_json_schema() for name, model in models.items()}


def render(doc: dict[str, object]) -> str:
    return json.dumps(doc, indent=2, sort_keys=True) + "\n"


def write(out_dir: Path = OUT_DIR) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for name, doc in documents().items():
        path = out_dir / name
        path.write_text(render(doc))
        written.append(path)
    return written
