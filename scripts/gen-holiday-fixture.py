#!/usr/bin/env python3
"""Writes tests/data/chile-holidays.tsv: Chile's public holidays for 2000-2050
according to the PyPI package `holidays` (pinned below), an independent source
that src/holidays/independent_source.rs compares the Rust calendar with.

Run from anywhere: `python3 scripts/gen-holiday-fixture.py`. It makes its own
virtual environment under target/ (created once, then reused) so nothing is
installed into the system Python.
"""

import os
import subprocess
import sys
import venv

HOLIDAYS_VERSION = "0.109"
FIRST_YEAR, LAST_YEAR = 2000, 2050

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
VENV = os.path.join(ROOT, "target", "holiday-fixture-venv")
OUTPUT = os.path.join(ROOT, "tests", "data", "chile-holidays.tsv")


def python_in_venv():
    return os.path.join(VENV, "bin", "python")


def ensure_venv():
    if not os.path.exists(python_in_venv()):
        venv.create(VENV, with_pip=True)
    subprocess.run(
        [python_in_venv(), "-m", "pip", "install", "--quiet", f"holidays=={HOLIDAYS_VERSION}"],
        check=True,
    )


def write_fixture():
    # Runs inside the venv: the public-holiday category only (no bank
    # holidays), Spanish names, national (no subdivision).
    import holidays

    assert holidays.__version__ == HOLIDAYS_VERSION, holidays.__version__
    chile = holidays.country_holidays(
        "CL", years=range(FIRST_YEAR, LAST_YEAR + 1), language="es"
    )
    rows = sorted(chile.items())
    with open(OUTPUT, "w", encoding="utf-8", newline="\n") as out:
        out.write(
            f"# Chile public holidays {FIRST_YEAR}-{LAST_YEAR} from PyPI holidays=={HOLIDAYS_VERSION}\n"
            "# (holidays.country_holidays('CL', language='es')); written by\n"
            "# scripts/gen-holiday-fixture.py. Columns: date, name.\n"
        )
        for day, name in rows:
            out.write(f"{day.isoformat()}\t{name}\n")
    print(f"wrote {len(rows)} holidays to {os.path.relpath(OUTPUT, ROOT)}")


IN_VENV = "GEN_HOLIDAY_FIXTURE_IN_VENV"

if __name__ == "__main__":
    if os.environ.get(IN_VENV) != "1":
        ensure_venv()
        env = dict(os.environ, **{IN_VENV: "1"})
        os.execve(python_in_venv(), [python_in_venv(), os.path.abspath(__file__)], env)
    write_fixture()
