#!/usr/bin/env python3
"""Generates the time-zone data compiled into the guest, and the fixture that
the Rust tests check it against, from the PyPI package `tzdata` (the IANA tz
database compiled by zic into TZif files).

    python3 scripts/gen-tzdata.py                  # regenerate with the pinned tzdata
    python3 scripts/gen-tzdata.py --tzdata 2026.7  # update to another tzdata release
    python3 scripts/gen-tzdata.py --check          # are the committed files what it makes?

It installs the pinned `tzdata` into its own venv (target/gen-tzdata/), reruns
itself there and writes:

- src/tz/zones.rs: TZDATA_VERSION (read from the package), the pinned package
  version, the rules of each kept zone as static tables in the layout of
  `Rules` (src/tz/rules.rs; UTC offsets only: abbreviations and DST flags are
  dropped, and so are transitions that keep the offset; the POSIX TZ footer is
  parsed at compile time), and every accepted name (kept zones and their
  aliases) with its rules;
- src/tz/testdata/zoneinfo.txt: UTC offsets computed by Python's own `zoneinfo`
  from the same package (a TZif and POSIX TZ reader independent of ours), which
  src/tz.rs's tests compare the Rust module against.
"""

import argparse
import datetime
import os
import re
import struct
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TZ_DIR = ROOT / "src" / "tz"
ZONES_RS = TZ_DIR / "zones.rs"
FIXTURE = TZ_DIR / "testdata" / "zoneinfo.txt"
VENV_ROOT = ROOT / "target" / "gen-tzdata"

# The zones a config may name: Chile's, one or more main zones of every other
# country of the Americas, the main zones of Europe, UTC and Etc/GMT±N. Every
# alias (tz "Link") of a kept zone is accepted too (Chile/Continental, US/Eastern,
# UTC, Etc/GMT+0 ...); a name that became an alias is kept through its target.
# Every zone costs .wasm bytes (about 340 on average, history included). Keep
# the README and WindowError::UnknownTimeZone's message (src/window.rs) in step.
KEPT_ZONES = [
    # Chile
    "America/Santiago",
    "America/Punta_Arenas",
    "America/Coyhaique",  # Aysén, its own zone since 2025a
    "Pacific/Easter",
    # South America
    "America/Argentina/Buenos_Aires",
    "America/Argentina/Catamarca",
    "America/Argentina/Cordoba",
    "America/Argentina/Jujuy",
    "America/Argentina/La_Rioja",
    "America/Argentina/Mendoza",
    "America/Argentina/Rio_Gallegos",
    "America/Argentina/Salta",
    "America/Argentina/San_Juan",
    "America/Argentina/San_Luis",
    "America/Argentina/Tucuman",
    "America/Argentina/Ushuaia",
    "America/La_Paz",
    "America/Lima",
    "America/Bogota",
    "America/Guayaquil",
    "Pacific/Galapagos",
    "America/Caracas",
    "America/Asuncion",
    "America/Montevideo",
    "America/Sao_Paulo",
    "America/Manaus",
    # Central America and the Caribbean
    "America/Panama",
    "America/Costa_Rica",
    "America/Managua",
    "America/Tegucigalpa",
    "America/El_Salvador",
    "America/Guatemala",
    "America/Belize",
    "America/Havana",
    "America/Santo_Domingo",
    "America/Puerto_Rico",
    "America/Port-au-Prince",
    "America/Jamaica",
    # North America
    "America/Mexico_City",
    "America/Cancun",
    "America/Tijuana",
    "America/New_York",
    "America/Chicago",
    "America/Denver",
    "America/Phoenix",
    "America/Los_Angeles",
    "America/Anchorage",
    "Pacific/Honolulu",
    "America/Toronto",
    "America/Vancouver",
    "America/Halifax",
    # US time written POSIX-style (aliases of New_York etc. until 2026d)
    "EST5EDT",
    "CST6CDT",
    "MST7MDT",
    "PST8PDT",
    # Europe
    "Europe/London",
    "Europe/Dublin",
    "Europe/Lisbon",
    "Atlantic/Canary",
    "Europe/Madrid",
    "Europe/Paris",
    "Europe/Brussels",
    "Europe/Amsterdam",
    "Europe/Berlin",
    "Europe/Zurich",
    "Europe/Rome",
    "Europe/Vienna",
    "Europe/Stockholm",
    "Europe/Oslo",
    "Europe/Copenhagen",
    "Europe/Warsaw",
    "Europe/Prague",
    "Europe/Athens",
    "Europe/Helsinki",
    "Europe/Kyiv",
    "Europe/Moscow",
    "Europe/Istanbul",
    # UTC and fixed offsets
    "Etc/UTC",
    "Etc/GMT",
]
# Plus every Etc/GMT±N zone of the release (Etc/GMT-14 … Etc/GMT+12).
FIXED_OFFSET_ZONES = re.compile(r"Etc/GMT[+-][0-9]+")

# The fixture: offsets on a grid of instants from 1800 to 2100 (a step that is
# no fraction of a day or year, so samples fall at every hour and season) ...
GRID_START = -5_364_662_400  # 1800-01-01T00:00:00Z
GRID_STEP = 1_000_003
GRID_COUNT = (4_102_444_800 - GRID_START) // GRID_STEP  # up to 2100-01-01
# ... and every offset change in these spans (from, until) (Unix seconds),
# found by scanning at SCAN_STEP and bisecting to the second: 2020–2040 for
# today's rules, then far years where only the POSIX TZ footer applies
# (2100 is not a leap year, 2400 is; zoneinfo stops at year 9999).
EXHAUSTIVE_SPANS = [
    (1_577_836_800, 2_208_988_800),  # 2020-01-01 .. 2040-01-01
    (4_070_908_800, 4_133_980_800),  # 2099-01-01 .. 2101-01-01
    (13_537_929_600, 13_601_088_000),  # 2399-01-01 .. 2401-01-01
    (253_339_228_800, 253_399_708_800),  # 9998-01-01 .. 9999-12-01
]
# Offset changes in the kept zones are days apart (the Rust tests assert at
# least 7); a scan this fine cannot step over a change and its reversal.
SCAN_STEP = 6 * 3600


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tzdata", help="PyPI tzdata version (default: the pinned one)")
    parser.add_argument(
        "--check", action="store_true", help="compare with the committed files, write nothing"
    )
    args = parser.parse_args()
    version = args.tzdata or pinned_version()
    if not in_venv_for(version):
        rerun_in_venv(version)
    files = generate(version)
    if args.check:
        sys.exit(check(files))
    write(files)
    print(f"tzdata {version} (IANA {files['version']}): {files['summary']}")


def pinned_version():
    match = re.search(r'TZDATA_PACKAGE_VERSION: &str = "([^"]+)"', read_text(ZONES_RS))
    if not match:
        sys.exit(f"no pinned version in {ZONES_RS}: pass --tzdata VERSION")
    return match.group(1)


def read_text(path):
    try:
        return path.read_text()
    except FileNotFoundError:
        return ""


def venv_dir(version):
    return VENV_ROOT / f"tzdata-{version}"


def in_venv_for(version):
    return Path(sys.prefix).resolve() == venv_dir(version).resolve()


def rerun_in_venv(version):
    venv = venv_dir(version)
    python = venv / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run(
            [str(python), "-m", "pip", "install", "--quiet", f"tzdata=={version}"], check=True
        )
    os.execv(str(python), [str(python), __file__, *sys.argv[1:], "--tzdata", version])


# --- the release ---------------------------------------------------------------


def release(version):
    """IANA version, zones and links of the installed `tzdata` package."""
    import tzdata

    if tzdata.__version__ != version:
        sys.exit(f"tzdata {tzdata.__version__} is installed, {version} was asked for")
    zi = package_file("tzdata.zi").decode().splitlines()
    header = f"# version {tzdata.IANA_VERSION}"
    if zi[0] != header:
        sys.exit(f"tzdata.zi starts with {zi[0]!r}, expected {header!r}")
    zones = {line.split()[1] for line in zi if line.startswith("Z ")}
    links = {}
    for line in zi:
        if line.startswith("L "):
            _, target, name = line.split()
            links[name] = target
    return tzdata.IANA_VERSION, zones, links


def package_file(name):
    from importlib import resources

    path = resources.files("tzdata").joinpath("zoneinfo", *name.split("/"))
    return path.read_bytes()


def resolve(name, zones, links):
    seen = set()
    while name in links:
        if name in seen:
            sys.exit(f"link cycle at {name}")
        seen.add(name)
        name = links[name]
    if name not in zones:
        sys.exit(f"{name} is not a zone of this release")
    return name


def selection(zones, links):
    """{canonical zone: every accepted name with its data}, sorted."""
    wanted = KEPT_ZONES + sorted(z for z in zones if FIXED_OFFSET_ZONES.fullmatch(z))
    kept = {resolve(name, zones, links): [] for name in wanted}
    for name in sorted(zones | set(links)):
        target = resolve(name, zones, links)
        if target in kept:
            kept[target].append(name)
    return dict(sorted(kept.items()))


# --- TZif to the tables of src/tz/rules.rs ---------------------------------------


def read_tzif(data, zone):
    """(offset before the first transition, [(instant, offset)], footer)."""

    def header(at):
        if data[at : at + 4] != b"TZif" or data[at + 4] < ord("2"):
            sys.exit(f"{zone}: not TZif version 2 or later")
        return struct.unpack(">6l", data[at + 20 : at + 44])

    isut, isstd, leap, timecnt, typecnt, charcnt = header(0)
    at = 44 + timecnt * 5 + typecnt * 6 + charcnt + leap * 8 + isstd + isut
    isut, isstd, leap, timecnt, typecnt, charcnt = header(at)
    if leap:
        sys.exit(f"{zone}: leap seconds are not supported")
    at += 44
    times = struct.unpack(f">{timecnt}q", data[at : at + 8 * timecnt])
    at += 8 * timecnt
    indices = data[at : at + timecnt]
    at += timecnt
    offsets = [struct.unpack(">l", data[at + 6 * i : at + 6 * i + 4])[0] for i in range(typecnt)]
    at += 6 * typecnt + charcnt + isstd + isut
    footer = data[at:]
    if not (footer.startswith(b"\n") and footer.endswith(b"\n")):
        sys.exit(f"{zone}: malformed footer")
    return offsets[0], [(t, offsets[i]) for t, i in zip(times, indices)], footer[1:-1].decode()


def offset_changes(initial, transitions):
    """The transitions that change the UTC offset."""
    changes, current = [], initial
    for instant, offset in transitions:
        if offset != current:
            changes.append((instant, offset))
            current = offset
    return changes


I32_MIN, I32_MAX = -(2**31), 2**31 - 1


def rules(zone, initial, transitions, footer):
    """The `Rules` of src/tz/rules.rs: a dict of its tables."""
    changes = offset_changes(initial, transitions)
    offsets = [initial]
    for _, offset in changes:
        if offset not in offsets:
            offsets.append(offset)
    if len(offsets) > 256:
        sys.exit(f"{zone}: more than 256 offsets do not fit the u8 indices")
    fits = [(t, offsets.index(o)) for t, o in changes if I32_MIN <= t <= I32_MAX]
    far = [(t, offsets.index(o)) for t, o in changes if not I32_MIN <= t <= I32_MAX]
    # The footer's syntax is checked when the Rust compiler parses it; this
    # keeps it a plain string literal.
    if not re.fullmatch(r"[A-Za-z0-9<>+,./:-]*", footer):
        sys.exit(f"{zone}: footer {footer!r} has characters no POSIX TZ string has")
    return {
        "offsets": offsets,
        "far": far,
        "at": [t for t, _ in fits],
        "to": [i for _, i in fits],
        # The footer rules the instants after the last transition, which may
        # be one that keeps the offset (Lisbon's of 1996-03-31, CET to WEST).
        "after": transitions[-1][0] if transitions else None,
        "footer": footer,
    }


def table_bytes(r):
    """What a zone's tables take in the .wasm: i32 offsets, (i64, u8) far
    changes (16 bytes with padding), i32 instants and u8 indices."""
    return 4 * len(r["offsets"]) + 16 * len(r["far"]) + 5 * len(r["at"])


# --- the fixture, from zoneinfo ----------------------------------------------

EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)


def zoneinfo_offsets(name):
    """Offset (seconds east of UTC) at a Unix second, by Python's zoneinfo."""
    import zoneinfo

    tz = zoneinfo.ZoneInfo(name)

    def offset(t):
        local = (EPOCH + datetime.timedelta(seconds=t)).astimezone(tz)
        return int(local.utcoffset().total_seconds())

    return offset


def grid_samples(offset):
    return [offset(GRID_START + k * GRID_STEP) for k in range(GRID_COUNT)]


def changes_in(offset, start, until):
    """Every change at an instant in (start, until) as (instant, before, after)."""
    found = []
    low, current = start, offset(start)
    while low < until - 1:
        high = min(low + SCAN_STEP, until - 1)
        if offset(high) == current:
            low = high
            continue
        while high - low > 1:  # offset(low) == current != offset(high)
            mid = (low + high) // 2
            if offset(mid) == current:
                low = mid
            else:
                high = mid
        after = offset(high)
        found.append((high, current, after))
        low, current = high, after
    return found


def run_length(samples, offsets):
    """`a12b9…`: a letter per run (the index in `offsets`), then its length if above 1."""
    out, k = [], 0
    while k < len(samples):
        run = 1
        while k + run < len(samples) and samples[k + run] == samples[k]:
            run += 1
        out.append(chr(ord("a") + offsets.index(samples[k])) + (str(run) if run > 1 else ""))
        k += run
    return "".join(out)


def fixture_block(zone, names):
    offset = zoneinfo_offsets(zone)
    samples = grid_samples(offset)
    for alias in names:
        if alias != zone and grid_samples(zoneinfo_offsets(alias)) != samples:
            sys.exit(f"zoneinfo: alias {alias} differs from {zone}")
    offsets = []
    for value in samples:
        if value not in offsets:
            offsets.append(value)
    if len(offsets) > 26:
        sys.exit(f"{zone}: more than 26 offsets on the grid")
    lines = [
        f"zone {zone}",
        "names " + " ".join(names),
        "offsets " + " ".join(str(o) for o in offsets),
        "grid " + run_length(samples, offsets),
    ]
    for start, until in EXHAUSTIVE_SPANS:
        for instant, before, after in changes_in(offset, start, until):
            lines.append(f"change {instant} {before} {after}")
    return lines


FIXTURE_HEADER = """\
# UTC offsets by Python's zoneinfo from the PyPI package tzdata {package}
# (IANA {version}), for src/tz.rs's tests. Generated by scripts/gen-tzdata.py;
# do not edit.
#
# grid-instants START STEP COUNT: the instants START + k * STEP, k < COUNT.
# changes-complete FROM UNTIL: every offset change at an instant in (FROM, UNTIL)
# is listed.
# Then per zone: `zone` (its canonical name), `names` (every accepted name with
# its data), `offsets` (in seconds east of UTC), `grid` (the offset at each of
# those instants, run-length coded: a letter for offsets[0], b for offsets[1]
# ..., followed by the run's length when above 1) and `change INSTANT BEFORE
# AFTER` lines (the offset at INSTANT - 1 and at INSTANT).
version {version}
grid-instants {grid_start} {grid_step} {grid_count}
"""


def fixture(package, version, selected):
    import zoneinfo

    zoneinfo.reset_tzpath(to=[])  # the package's data, not the system's
    text = FIXTURE_HEADER.format(
        package=package,
        version=version,
        grid_start=GRID_START,
        grid_step=GRID_STEP,
        grid_count=GRID_COUNT,
    )
    for start, until in EXHAUSTIVE_SPANS:
        text += f"changes-complete {start} {until}\n"
    for zone, names in selected.items():
        text += "\n" + "\n".join(fixture_block(zone, names)) + "\n"
    return text


# --- the Rust side ---------------------------------------------------------------

ZONES_RS_TEMPLATE = """\
//! The embedded tz data: generated by `scripts/gen-tzdata.py` from the PyPI
//! package `tzdata` {package}; do not edit (rerun the script).
//!
//! {zone_count} zones, {change_count} offset changes ({far_count} of them outside the `i32` range), {table_bytes}
//! bytes of tables; the layout is `Rules`'.

use super::posix::PosixTz;
use super::rules::{{Rules, Tail}};

/// The IANA tz database release of the embedded data.
pub const TZDATA_VERSION: &str = "{version}";

/// The PyPI `tzdata` package the data was taken from.
pub const TZDATA_PACKAGE_VERSION: &str = "{package}";

/// How many zones are kept (aliases aside).
pub(super) const ZONE_COUNT: usize = {zone_count};

/// The rules of each kept zone. The POSIX TZ rules are parsed here, at
/// compile time (a static's initializer is evaluated by the compiler). Laid
/// out by the script, many numbers a line, where rustfmt would put most
/// instants on lines of their own.
#[rustfmt::skip]
pub(super) static ZONES: [Rules; ZONE_COUNT] = [
{zones}];

/// Every accepted name, sorted by bytes, with the index of its rules in
/// `ZONES`: the kept zones and their aliases.
pub(super) static NAMES: [(&str, u16); {name_count}] = [
{names}];
"""


def rust_list(values):
    """`&[a, b, ...]`, wrapped at 100 columns below a field 8 columns in."""
    items = [str(v) for v in values]
    if len(", ".join(items)) <= 70:
        return "&[" + ", ".join(items) + "]"
    lines, line = [], ""
    for item in items:
        if line and len(line) + len(item) + 2 > 100 - 12:
            lines.append(line)
            line = ""
        line += ("" if not line else " ") + item + ","
    lines.append(line)
    return "&[\n" + "".join(f"{' ' * 12}{line}\n" for line in lines) + " " * 8 + "]"


def rust_rules(zone, r):
    if r["footer"]:
        after = "None" if r["after"] is None else f"Some({r['after']})"
        footer = r["footer"]
        rule = f'PosixTz::from_footer("{footer}")'
        tail = f"Some(Tail {{\n{' ' * 12}after: {after},\n{' ' * 12}rule: {rule},\n{' ' * 8}}})"
    else:
        tail = "None"
    far = rust_list(f"({t}, {i})" for t, i in r["far"])
    return (
        f"    // {zone}\n"
        "    Rules {\n"
        f"        offsets: {rust_list(r['offsets'])},\n"
        f"        far: {far},\n"
        f"        at: {rust_list(r['at'])},\n"
        f"        to: {rust_list(r['to'])},\n"
        f"        tail: {tail},\n"
        "    },\n"
    )


def zones_rs(package, version, selected, tables):
    zones = list(selected)
    names = sorted((name, zones.index(zone)) for zone, aliases in selected.items() for name in aliases)
    name_lines = "".join(f'    ("{name}", {index}),\n' for name, index in names)
    return ZONES_RS_TEMPLATE.format(
        package=package,
        version=version,
        zone_count=len(zones),
        change_count=sum(len(r["far"]) + len(r["at"]) for r in tables.values()),
        far_count=sum(len(r["far"]) for r in tables.values()),
        table_bytes=sum(table_bytes(r) for r in tables.values()),
        zones="".join(rust_rules(zone, tables[zone]) for zone in zones),
        name_count=len(names),
        names=name_lines,
    )


def generate(package):
    version, zones, links = release(package)
    selected = selection(zones, links)
    tables = {}
    for zone in selected:
        initial, transitions, footer = read_tzif(package_file(zone), zone)
        tables[zone] = rules(zone, initial, transitions, footer)
    files = {
        ZONES_RS: rustfmt(zones_rs(package, version, selected, tables)),
        FIXTURE: fixture(package, version, selected).encode(),
    }
    names = sum(len(n) for n in selected.values())
    changes = sum(len(r["far"]) + len(r["at"]) for r in tables.values())
    data_bytes = sum(table_bytes(r) for r in tables.values())
    return {
        "files": files,
        "version": version,
        "summary": f"{len(selected)} zones, {names} names, {changes} changes, "
        f"{data_bytes} bytes of tables",
    }


def rustfmt(source):
    """`source` as rustfmt lays it out (the committed zones.rs is formatted)."""
    result = subprocess.run(
        ["rustfmt", "--edition", "2024", "--emit", "stdout"],
        input=source.encode(),
        capture_output=True,
        check=True,
        cwd=ROOT,
    )
    return result.stdout


def write(generated):
    for path, content in generated["files"].items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)


def check(generated):
    """0 when the committed files are exactly what the script generates."""
    differ = sorted(
        p for p, c in generated["files"].items() if not p.exists() or p.read_bytes() != c
    )
    for path in differ:
        print(f"out of date: {path.relative_to(ROOT)}")
    return 1 if differ else 0


if __name__ == "__main__":
    main()
