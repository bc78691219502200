#!/usr/bin/env python3
"""Reads a TOML file with Python's own tomllib (3.11+) and prints it as tagged JSON in the
toml-test format: every scalar is {"type": ..., "value": "..."}, tables are objects, arrays are
lists. Prints "invalid" and exits 1 when tomllib refuses the document. PicoTOMLTests compares
PicoTOML's reading of the same documents with this one.

    python3 Tests/tools/toml_to_json.py FILE.toml
    python3 Tests/tools/toml_to_json.py FILE... (one line per file, "invalid" or the JSON; exit 0)
"""
import datetime
import json
import math
import sys
import tomllib


def tagged(value):
    if isinstance(value, dict):
        return {key: tagged(item) for key, item in value.items()}
    if isinstance(value, list):
        return [tagged(item) for item in value]
    if isinstance(value, bool):
        return {"type": "bool", "value": "true" if value else "false"}
    if isinstance(value, int):
        return {"type": "integer", "value": str(value)}
    if isinstance(value, float):
        text = "nan" if math.isnan(value) else repr(value)
        return {"type": "float", "value": text}
    if isinstance(value, str):
        return {"type": "string", "value": value}
    if isinstance(value, datetime.datetime):
        text = (f"{value.year:04d}-{value.month:02d}-{value.day:02d}T"
                f"{value.hour:02d}:{value.minute:02d}:{value.second:02d}" + fraction(value))
        if value.tzinfo is None:
            return {"type": "datetime-local", "value": text}
        offset = value.utcoffset()
        minutes = int(offset.total_seconds()) // 60
        if minutes == 0:
            text += "Z"
        else:
            sign = "-" if minutes < 0 else "+"
            text += f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"
        return {"type": "datetime", "value": text}
    if isinstance(value, datetime.date):
        return {"type": "date-local", "value": f"{value.year:04d}-{value.month:02d}-{value.day:02d}"}
    if isinstance(value, datetime.time):
        return {"type": "time-local", "value": f"{value.hour:02d}:{value.minute:02d}:{value.second:02d}" + fraction(value)}
    raise TypeError(f"unexpected value {value!r}")


def fraction(value):
    """Microseconds as six digits, none when zero (tomllib keeps at most six)."""
    return f".{value.microsecond:06d}" if value.microsecond else ""


def read(path):
    with open(path, "rb") as file:
        try:
            document = tomllib.load(file)
        except (tomllib.TOMLDecodeError, UnicodeDecodeError, ValueError):
            return None
    return json.dumps(tagged(document), sort_keys=True, ensure_ascii=True)


def main():
    paths = sys.argv[1:]
    if len(paths) == 1:
        line = read(paths[0])
        print(line or "invalid")
        return 0 if line else 1
    for path in paths:
        print(read(path) or "invalid")
    return 0


if __name__ == "__main__":
    sys.exit(main())
