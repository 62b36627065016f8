"""`python -m schemas`: regenerate the JSON Schema files from the models."""

from schemas.jsonschema_export import write

if __name__ == "__main__":
    for path in write():
        print(path)  # noqa: T201 - a command-line entry point
