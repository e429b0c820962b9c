#!/usr/bin/env python3
"""Generates the phone-number tables and their oracle from libphonenumber's metadata.

Updating is one command, from the repository root:

    python3 scripts/gen-phone-metadata.py [--version X.Y.Z]

It creates a virtual environment in target/phone-metadata-venv, installs PyPI
`phonenumbers` (the Python port of Google's libphonenumber; its metadata is
libphonenumber's) at the pinned version below or at --version, re-runs itself
there, and writes:

- src/phone/metadata.rs: per country calling code, the possible national
  lengths and one deterministic automaton over the national significant number
  whose final state names the number's type exactly as libphonenumber's
  `number_type` would (regions sharing a code, `leading_digits` and the order of
  the type checks included). All codes share one minimised automaton, so equal
  tails (`\\d{7}` ending a fixed line, ...) are stored once.
- src/phone/testdata/oracle.tsv: libphonenumber's own verdicts (from the
  `phonenumbers` library, independent of the tables) on a large, seeded set of
  numbers, which `src/phone/oracle_tests.rs` compares with the Rust validator.

The national-number patterns are regular expressions over digits (classes,
alternation, groups, `\\d{n}`, `{n,m}`, `?`); they are compiled here into
automata, so the component has no regex engine and parses no metadata.
`metadata.rs` is exempt from rustfmt (`#[rustfmt::skip]` on its `mod`);
`cargo test -p siptel-sms --lib phone` checks the result against the oracle.
"""

import argparse
from collections import Counter
import os
import random
import subprocess
import sys
import venv

PINNED_VERSION = "9.0.43"
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
VENV = os.path.join(ROOT, "target", "phone-metadata-venv")
METADATA_RS = os.path.join(ROOT, "src", "phone", "metadata.rs")
ORACLE_TSV = os.path.join(ROOT, "src", "phone", "testdata", "oracle.tsv")
RANDOM_SEED = 20261114


def ensure_venv(version):
    """Re-runs this script inside a venv that has phonenumbers==version."""
    python = os.path.join(VENV, "bin", "python")
    if os.path.realpath(sys.prefix) == os.path.realpath(VENV):
        return
    if not os.path.exists(python):
        venv.create(VENV, with_pip=True)
    subprocess.run(
        [python, "-m", "pip", "install", "--quiet", f"phonenumbers=={version}"],
        check=True,
    )
    os.execv(python, [python, os.path.abspath(__file__), "--version", version])


# ---------------------------------------------------------------------------
# Regular expressions over digits -> NFA
# ---------------------------------------------------------------------------

ALL_DIGITS = (1 << 10) - 1


class Nfa:
    """Thompson NFA over the digits; transitions carry a 10-bit digit mask."""

    def __init__(self):
        self.moves = []  # state -> [(mask, target)]
        self.eps = []  # state -> [target]

    def state(self):
        self.moves.append([])
        self.eps.append([])
        return len(self.moves) - 1

    def closure(self, states):
        stack, seen = list(states), set(states)
        while stack:
            for t in self.eps[stack.pop()]:
                if t not in seen:
                    seen.add(t)
                    stack.append(t)
        return frozenset(seen)

    def step(self, states, digit):
        bit = 1 << digit
        return self.closure(
            {t for s in states for mask, t in self.moves[s] if mask & bit}
        )


class Pattern:
    """Parser of libphonenumber's digit patterns into an AST.

    AST nodes: ("set", mask) | ("seq", [node]) | ("alt", [node]) |
    ("rep", node, min, max).
    """

    def __init__(self, text):
        self.text, self.pos = text, 0

    def parse(self):
        node = self.alternation()
        if self.pos != len(self.text):
            raise ValueError(f"unexpected {self.text[self.pos:]!r} in {self.text!r}")
        return node

    def peek(self):
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def take(self, expected=None):
        ch = self.peek()
        if expected is not None and ch != expected:
            raise ValueError(f"expected {expected!r} at {self.pos} in {self.text!r}")
        self.pos += 1
        return ch

    def alternation(self):
        branches = [self.sequence()]
        while self.peek() == "|":
            self.take()
            branches.append(self.sequence())
        return branches[0] if len(branches) == 1 else ("alt", branches)

    def sequence(self):
        items = []
        while self.peek() not in ("", "|", ")"):
            items.append(self.quantified(self.atom()))
        return ("seq", items)

    def atom(self):
        ch = self.take()
        if ch.isdigit():
            return ("set", 1 << int(ch))
        if ch == "\\":
            self.take("d")
            return ("set", ALL_DIGITS)
        if ch == "[":
            return ("set", self.char_class())
        if ch == "(":
            if self.peek() == "?":
                self.take("?")
                self.take(":")
            node = self.alternation()
            self.take(")")
            return node
        raise ValueError(f"unsupported {ch!r} in {self.text!r}")

    def char_class(self):
        mask = 0
        while self.peek() != "]":
            ch = self.take()
            if ch == "\\":
                self.take("d")
                mask |= ALL_DIGITS
                continue
            if not ch.isdigit():
                raise ValueError(f"unsupported {ch!r} in class of {self.text!r}")
            low = high = int(ch)
            if self.peek() == "-":
                self.take()
                high = int(self.take())
            for d in range(low, high + 1):
                mask |= 1 << d
        self.take("]")
        return mask

    def number(self):
        start = self.pos
        while self.peek().isdigit():
            self.pos += 1
        return int(self.text[start : self.pos])

    def quantified(self, node):
        if self.peek() == "?":
            self.take()
            return ("rep", node, 0, 1)
        if self.peek() == "{":
            self.take()
            low = self.number()
            high = low
            if self.peek() == ",":
                self.take()
                high = self.number()
            self.take("}")
            return ("rep", node, low, high)
        if self.peek() in ("*", "+"):
            raise ValueError(f"unbounded repetition in {self.text!r}")
        return node


def build(nfa, node):
    """Adds `node` to `nfa`; returns its (start, end) states."""
    kind = node[0]
    start = nfa.state()
    if kind == "set":
        end = nfa.state()
        nfa.moves[start].append((node[1], end))
    elif kind == "seq":
        end = start
        for item in node[1]:
            s, e = build(nfa, item)
            nfa.eps[end].append(s)
            end = e
    elif kind == "alt":
        end = nfa.state()
        for branch in node[1]:
            s, e = build(nfa, branch)
            nfa.eps[start].append(s)
            nfa.eps[e].append(end)
    else:  # rep
        _, inner, low, high = node
        end = nfa.state()
        cursor = start
        for i in range(high):
            if i >= low:
                nfa.eps[cursor].append(end)
            s, e = build(nfa, inner)
            nfa.eps[cursor].append(s)
            cursor = e
        nfa.eps[cursor].append(end)
    return start, end


# ---------------------------------------------------------------------------
# libphonenumber's number types, in the order its `_number_type_helper` tests
# them (the first match wins; fixed line and mobile come last).
# ---------------------------------------------------------------------------

# (metadata attribute, Rust `NumberType` variant, oracle name)
SPECIAL_TYPES = [
    ("premium_rate", "PremiumRate", "premium-rate"),
    ("toll_free", "TollFree", "toll-free"),
    ("shared_cost", "SharedCost", "shared-cost"),
    ("voip", "Voip", "voip"),
    ("personal_number", "PersonalNumber", "personal-number"),
    ("pager", "Pager", "pager"),
    ("uan", "Uan", "uan"),
    ("voicemail", "Voicemail", "voicemail"),
]
# Label 0 is "no type" (invalid); the others index this list from 1.
LABELS = ["FixedLine", "Mobile", "FixedLineOrMobile"] + [t[1] for t in SPECIAL_TYPES]


def label_of(number_type):
    return LABELS.index(number_type) + 1


class Region:
    """One region's descriptions, compiled into a shared NFA."""

    def __init__(self, nfa, metadata, uses_leading_digits):
        self.descs = {}  # name -> (end state, possible lengths or None)
        self.starts = []
        for name in ["general_desc", "fixed_line", "mobile"] + [t[0] for t in SPECIAL_TYPES]:
            desc = getattr(metadata, name)
            if desc is None or not desc.national_number_pattern:
                continue
            lengths = set(desc.possible_length)
            if lengths == {-1}:
                continue  # no numbers of this type
            start, end = build(nfa, Pattern(desc.national_number_pattern).parse())
            self.starts.append(start)
            self.descs[end] = (name, lengths or None)
        self.leading_end = None
        if uses_leading_digits and metadata.leading_digits:
            start, self.leading_end = build(nfa, Pattern(metadata.leading_digits).parse())
            self.starts.append(start)
        self.same_pattern = metadata.same_mobile_and_fixed_line_pattern

    def matching(self, states, length):
        """Names of the descriptions that accept the number."""
        return {
            name
            for end, (name, lengths) in self.descs.items()
            if end in states and (lengths is None or length in lengths)
        }

    def number_type(self, states, length):
        """libphonenumber's `_number_type_helper`: a label index, 0 if none."""
        matched = self.matching(states, length)
        if "general_desc" not in matched:
            return 0
        for name, number_type, _ in SPECIAL_TYPES:
            if name in matched:
                return label_of(number_type)
        if "fixed_line" in matched:
            if self.same_pattern or "mobile" in matched:
                return label_of("FixedLineOrMobile")
            return label_of("FixedLine")
        if not self.same_pattern and "mobile" in matched:
            return label_of("Mobile")
        return 0


class Automaton:
    """One minimal DFA shared by every country code (acyclic, hash-consed)."""

    DEAD = 0

    def __init__(self):
        self.states = [(0, (0,) * 10)]  # (label, targets per digit); 0 is dead
        self.index = {self.states[0]: 0}

    def intern(self, label, targets):
        key = (label, tuple(targets))
        if key == self.states[0]:
            return self.DEAD
        if key not in self.index:
            self.index[key] = len(self.states)
            self.states.append(key)
        return self.index[key]

    def add_country(self, regions_metadata, max_length):
        """Builds the classifier of one calling code; returns its start state.

        The label of a number is that of the first region that claims it,
        as in libphonenumber's `region_code_for_number`: a region with
        `leading_digits` claims the numbers starting with them (valid or not),
        another region the numbers valid there. One region claims all.
        """
        nfa = Nfa()
        several = len(regions_metadata) > 1
        regions = [Region(nfa, m, several) for m in regions_metadata]
        root = nfa.state()
        for region in regions:
            nfa.eps[root].extend(region.starts)
        memo = {}

        def label(states, length, claimed):
            for i, region in enumerate(regions):
                number_type = region.number_type(states, length)
                if region.leading_end is not None:
                    if i in claimed:
                        return number_type
                elif number_type:
                    return number_type
            return 0

        def visit(states, length, claimed):
            claimed = claimed | {
                i for i, r in enumerate(regions) if r.leading_end in states
            }
            key = (states, length, claimed)
            if key in memo:
                return memo[key]
            targets = []
            for digit in range(10):
                nxt = nfa.step(states, digit) if length < max_length else frozenset()
                targets.append(visit(nxt, length + 1, claimed) if nxt else self.DEAD)
            result = self.intern(label(states, length, claimed), targets)
            memo[key] = result
            return result

        # Beyond `max_length` nothing is valid: a state there has no edges,
        # and a state with no label and no edges is the dead one.
        return visit(nfa.closure({root}), 0, frozenset())


# ---------------------------------------------------------------------------
# Rust output
# ---------------------------------------------------------------------------


def layout(automaton, starts):
    """States in DFS pre-order from each start: a state's first new child is
    the next record, so most edges into the tree-shaped part point forward."""
    order, seen = [], {Automaton.DEAD}
    for start in starts:
        stack = [start]
        while stack:
            s = stack.pop()
            if s in seen:
                continue
            seen.add(s)
            order.append(s)
            targets = [t for t in dict.fromkeys(automaton.states[s][1]) if t not in seen]
            stack.extend(reversed(targets))
    return order


# Edge kinds of the encoding (see `encode`).
NEXT, HUB, FORWARD, ABSOLUTE = range(4)
TARGET_BYTES = {NEXT: 0, HUB: 1, FORWARD: 1, ABSOLUTE: 2}
HUB_COUNT = 256
# Digit sets that are one range lo..=hi, by code: lo 0 first, then lo 1, ...
DIGIT_RANGES = [
    sum(1 << d for d in range(lo, hi + 1)) for lo in range(10) for hi in range(lo, 10)
]
EXPLICIT_DIGITS = 63  # code of a digit set given in the two bytes after the head


def encode(automaton, starts):
    """Serialises the automaton as `src/phone/matcher.rs` reads it.

    A state is a record: a header byte `label | edges << 4`, then its edges,
    in no particular order (their digit sets are disjoint; digits in none lead
    to the dead state). An edge is a head byte `digits | kind << 6`, where
    `digits` is the code of a digit range in DIGIT_RANGES or EXPLICIT_DIGITS
    (then a little-endian u16 digit set, bit d for digit d, follows), and
    then 0 to 2 bytes naming the target record by `kind`:
    - NEXT (0): the record right after this one, no byte;
    - HUB (1): `HUBS[byte]`, the 256 most referenced records;
    - FORWARD (2): `end + byte`, where `end` is where this record ends;
    - ABSOLUTE (3): a little-endian u16 offset.
    Returns (bytes, offset of each state, hub offsets).
    """
    order = layout(automaton, starts)
    referrers = Counter(
        t for s in order for t in set(automaton.states[s][1]) if t != Automaton.DEAD
    )
    hubs = [t for t, _ in referrers.most_common(HUB_COUNT)]
    hub_index = {t: i for i, t in enumerate(hubs)}

    def edges_of(s):
        edges = {}
        for digit, t in enumerate(automaton.states[s][1]):
            if t != Automaton.DEAD:
                edges[t] = edges.get(t, 0) | (1 << digit)
        return sorted(edges.items(), key=lambda e: e[1])

    def digits_bytes(digits):
        return 0 if digits in DIGIT_RANGES else 2

    # Edge kinds only ever grow from FORWARD to ABSOLUTE (NEXT and HUB do not
    # depend on positions), so laying out until nothing changes terminates.
    following = dict(zip(order, order[1:]))
    kinds = {}  # (state, target) -> kind; starts as NEXT, HUB or FORWARD

    def kind_of(s, t):
        if following.get(s) == t:
            return NEXT
        if t in hub_index:
            return HUB
        return kinds.get((s, t), FORWARD)

    while True:
        position, offset = {}, 0
        for s in order:
            position[s] = offset
            offset += 1 + sum(
                1 + digits_bytes(digits) + TARGET_BYTES[kind_of(s, t)]
                for t, digits in edges_of(s)
            )
        changed = False
        for s in order:
            end = position[following[s]] if s in following else offset
            for t, _ in edges_of(s):
                if kind_of(s, t) == FORWARD and not 0 <= position[t] - end < 256:
                    kinds[(s, t)] = ABSOLUTE
                    changed = True
        if not changed:
            break
    out = bytearray()
    for s in order:
        assert len(out) == position[s]
        label, _ = automaton.states[s]
        edges = edges_of(s)
        out.append(label | len(edges) << 4)
        end = position[following[s]] if s in following else offset
        for t, digits in edges:
            kind = kind_of(s, t)
            if digits in DIGIT_RANGES:
                out.append(DIGIT_RANGES.index(digits) | kind << 6)
            else:
                out.append(EXPLICIT_DIGITS | kind << 6)
                out += digits.to_bytes(2, "little")
            if kind == HUB:
                out.append(hub_index[t])
            elif kind == FORWARD:
                out.append(position[t] - end)
            elif kind == ABSOLUTE:
                out += position[t].to_bytes(2, "little")
    if len(out) >= 1 << 16:
        raise ValueError("automaton too large for 16-bit offsets")
    return bytes(out), position, [position[t] for t in hubs]


def rust_list(data, indent="    "):
    lines, line = [], indent
    for b in data:
        item = f"{b},"
        if len(line) + len(item) + 1 > 100:
            lines.append(line.rstrip())
            line = indent
        line += item + " "
    lines.append(line.rstrip())
    return "\n".join(lines)


def write_metadata(version, countries, automaton):
    data, position, hubs = encode(automaton, [c["start"] for c in countries])
    rows = "\n".join(
        f"    Country {{ code: {c['code']}, lengths: 0b{sum(1 << n for n in c['lengths']):b}, "
        f"start: {position[c['start']]} }},"
        for c in countries
    )
    labels = "\n".join(f"    NumberType::{name}," for name in LABELS)
    text = f"""\
//! Generated by `scripts/gen-phone-metadata.py` from libphonenumber's metadata
//! (PyPI `phonenumbers` {version}); do not edit: run the script instead.
//!
//! {len(countries)} calling codes; one automaton of {len(position)} states in
//! {len(data)} bytes, plus {len(hubs)} hub offsets.

use super::NumberType;
use super::matcher::Country;

/// The libphonenumber release these tables come from.
pub const METADATA_VERSION: &str = "{version}";

/// Every calling code with metadata, sorted: possible national lengths (bit
/// `n` set: `n` digits is possible) and where its automaton starts.
pub static COUNTRIES: &[Country] = &[
{rows}
];

/// The number type of each label (label `n` is `LABEL_TYPES[n - 1]`; label 0:
/// not a valid number).
pub static LABEL_TYPES: [NumberType; {len(LABELS)}] = [
{labels}
];

/// Offsets of the most referenced states (edges of kind HUB name them by index).
pub static HUBS: [u16; {len(hubs)}] = [
{rust_list(hubs)}
];

/// The automaton, encoded as `matcher.rs` describes.
pub static AUTOMATON: [u8; {len(data)}] = [
{rust_list(data)}
];
"""
    os.makedirs(os.path.dirname(METADATA_RS), exist_ok=True)
    with open(METADATA_RS, "w") as f:
        f.write(text)
    return len(data) + 2 * len(hubs), len(position)


# ---------------------------------------------------------------------------
# The oracle: libphonenumber's verdicts on a seeded sample
# ---------------------------------------------------------------------------

TYPE_CODES = {
    "FIXED_LINE": "F", "MOBILE": "M", "FIXED_LINE_OR_MOBILE": "FM", "TOLL_FREE": "TF",
    "PREMIUM_RATE": "PR", "SHARED_COST": "SC", "VOIP": "V", "PERSONAL_NUMBER": "PN",
    "PAGER": "PG", "UAN": "U", "VOICEMAIL": "VM", "UNKNOWN": "-",
}
POSSIBLE_CODES = {
    "IS_POSSIBLE": "ok", "IS_POSSIBLE_LOCAL_ONLY": "local", "INVALID_COUNTRY_CODE": "cc",
    "TOO_SHORT": "short", "TOO_LONG": "long", "INVALID_LENGTH": "length",
}
ORACLE_HEADER = """\
# Generated by scripts/gen-phone-metadata.py from PyPI phonenumbers {version}
# (libphonenumber's metadata); do not edit: run the script instead.
# Read by src/phone/oracle_tests.rs. Columns are tab-separated; lines:
#   +  DIGITS  CC  POSSIBLE  TYPE   libphonenumber on exactly these international
#      digits (no national prefix stripped): CC its country code (0: none),
#      POSSIBLE is_possible_number_with_reason, TYPE number_type.
#   t  TEXT  E164  TYPE   phonenumbers.parse(TEXT, "CL") as typed (E164 without
#      "+", "-" when it does not parse); TYPE "-" when invalid.
#   n  TEXT  E164  TYPE   the same, for a Chilean national form (no "56"), on
#      its digits without the former trunk prefix 0 ("09 ..." is "9 ...").
#   s  TEXT  E164  TYPE   an 8-digit Santiago local form: the verdict on "2"
#      followed by its digits (Santiago's area code), parsed for "CL".
# POSSIBLE: ok, local (local only), cc (invalid country code), short, long, length.
# TYPE: F fixed line, M mobile, FM fixed line or mobile, TF toll free, PR premium
# rate, SC shared cost, V VoIP, PN personal number, PG pager, U UAN, VM voicemail,
# - unknown (invalid).
"""


def write_oracle(version):
    import phonenumbers as pn
    from phonenumbers import PhoneMetadata
    from phonenumbers.phonenumberutil import (
        COUNTRY_CODE_TO_REGION_CODE,
        _extract_country_code,
        _set_italian_leading_zeros_for_phone_number,
    )

    type_names = {v: k for k, v in vars(pn.PhoneNumberType).items() if k.isupper()}
    reason_names = {v: k for k, v in vars(pn.ValidationResult).items() if k.isupper()}
    rng = random.Random(RANDOM_SEED)

    def digits_of(n):
        return "".join(rng.choice("0123456789") for _ in range(n))

    def international(digits):
        """libphonenumber on exactly these digits (as Siptel receives them)."""
        code, national = _extract_country_code(digits)
        if code == 0:
            return f"+\t{digits}\t0\tcc\t-"
        if not national:
            return f"+\t{digits}\t{code}\tshort\t-"
        number = pn.PhoneNumber(country_code=code, national_number=int(national))
        _set_italian_leading_zeros_for_phone_number(national, number)
        assert pn.national_significant_number(number) == national, digits
        reason = POSSIBLE_CODES[reason_names[pn.is_possible_number_with_reason(number)]]
        kind = TYPE_CODES[type_names[pn.number_type(number)]]
        assert (kind != "-") == pn.is_valid_number(number), digits
        return f"+\t{digits}\t{code}\t{reason}\t{kind}"

    def typed(tag, text, parsed_text=None):
        """libphonenumber's parse of a typed form, for Chile."""
        try:
            number = pn.parse(parsed_text or text, "CL")
        except pn.NumberParseException:
            return f"{tag}\t{text}\t-\t-"
        e164 = pn.format_number(number, pn.PhoneNumberFormat.E164)[1:]
        return f"{tag}\t{text}\t{e164}\t{TYPE_CODES[type_names[pn.number_type(number)]]}"

    lines = []
    # Chile: every 56 + 4-digit prefix of a 9-digit national number (one
    # sample each; prefixes 0 and 1 by 3 digits, as only 1230 is used there),
    # and the other lengths by 2-digit prefix.
    for prefix in range(10_000):
        p = f"{prefix:04d}"
        if p[0] in "01" and p[3] != "0":
            continue
        lines.append(international("56" + p + digits_of(5)))
    for prefix in range(100):
        for length in (8, 10, 11):
            lines.append(international(f"56{prefix:02d}" + digits_of(length - 2)))
    for special in ("600", "12300"):
        for length in (10, 11):
            lines.append(international("56" + special + digits_of(length - len(special))))

    # Every region's (and non-geographic entity's) example number of every
    # type, and two neighbours: the tail redrawn, and one digit fewer or more.
    examples = []
    for code in sorted(COUNTRY_CODE_TO_REGION_CODE):
        for region in COUNTRY_CODE_TO_REGION_CODE[code]:
            metadata = PhoneMetadata.metadata_for_region_or_calling_code(code, region)
            for name in ["fixed_line", "mobile", "toll_free", "premium_rate", "shared_cost",
                         "personal_number", "voip", "pager", "uan", "voicemail"]:
                desc = getattr(metadata, name)
                if desc is not None and desc.example_number:
                    examples.append((code, desc.example_number))
    for code, national in examples:
        full = f"{code}{national}"
        lines.append(international(full))
        tail = min(4, len(national) - 1)
        lines.append(international(full[: len(full) - tail] + digits_of(tail)))
        lines.append(international(full[:-1] if rng.random() < 0.5 else full + digits_of(1)))

    # Random numbers: per calling code, national numbers of possible lengths
    # (and one off), either all random or continuing an example's prefix.
    by_code = {}
    for code, national in examples:
        by_code.setdefault(code, []).append(national)
    for code in sorted(COUNTRY_CODE_TO_REGION_CODE):
        metadata = PhoneMetadata.metadata_for_region_or_calling_code(
            code, COUNTRY_CODE_TO_REGION_CODE[code][0])
        lengths = sorted(set(metadata.general_desc.possible_length))
        choices = lengths + [lengths[0] - 1, lengths[-1] + 1]
        for i in range(8):
            length = rng.choice(choices)
            if i % 2 and by_code.get(code):
                seed = rng.choice(by_code[code])[: rng.randint(1, max(1, length - 1))]
            else:
                seed = ""
            national = (seed + digits_of(max(0, length - len(seed))))[:length]
            lines.append(international(f"{code}{national}"))
    for _ in range(1000):
        lines.append(international(rng.choice("123456789") + digits_of(rng.randint(0, 16))))

    # Typed forms of valid numbers: separators and international prefixes.
    valid = [l.split("\t")[1] for l in lines if l.startswith("+") and not l.endswith("\t-")]
    chilean = [d for d in valid if d.startswith("56")]
    foreign = [d for d in valid if not d.startswith("56")]
    def grouped(digits, sep):
        return sep.join(digits[i : i + 4] for i in range(0, len(digits), 4))
    for digits in rng.sample(chilean, 40) + rng.sample(foreign, 60):
        code = str(_extract_country_code(digits)[0])
        national = digits[len(code):]
        for form in (
            f"+{code} {grouped(national, ' ')}",
            f"00{code}-{grouped(national, '-')}",
            f"+({code}) {grouped(national, '.')}",
            f"+{code} ({national[:3]}) {national[3:6]}-{national[6:]}",
        ):
            lines.append(typed("t", form))
        if code == "56":
            lines.append(typed("t", f"56 {national[0]} {grouped(national[1:], ' ')}"))
            lines.append(typed("t", f"(56) {grouped(national, '.')}"))
    # A national prefix typed after the country code, the usual European way.
    for form in ("+44 (0)7400 123456", "+49 (0)30 1234567", "+33 (0)6 12 34 56 78"):
        lines.append(typed("t", form))

    # Chilean national forms (without 56), valid or not.
    for _ in range(300):
        national = rng.choice("23456789") + digits_of(8)
        form = rng.choice([
            f"{national[0]} {national[1:5]} {national[5:]}",
            f"0{national}",
            f"({national[0]}) {national[1:5]}-{national[5:]}",
            national,
        ])
        lines.append(typed("n", form, national))
    for _ in range(100):
        national = "9" + digits_of(8)
        lines.append(typed("n", f"{national[0]} {national[1:5]} {national[5:]}"))
    # Santiago landlines typed in their 8-digit local form (old or new).
    for _ in range(60):
        local = "2" + digits_of(7)
        form = rng.choice([f"{local[:4]} {local[4:]}", local, f"(02) {local[1:4]} {local[4:]}"])
        digits = "".join(c for c in form if c.isdigit())
        lines.append(typed("s", form, "2" + (digits[1:] if digits.startswith("0") else digits)))

    os.makedirs(os.path.dirname(ORACLE_TSV), exist_ok=True)
    with open(ORACLE_TSV, "w") as f:
        f.write(ORACLE_HEADER.format(version=version))
        f.write("\n".join(lines) + "\n")
    return len(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--version", default=PINNED_VERSION)
    args = parser.parse_args()
    ensure_venv(args.version)

    import phonenumbers
    from phonenumbers import PhoneMetadata
    from phonenumbers.phonenumberutil import COUNTRY_CODE_TO_REGION_CODE

    if phonenumbers.__version__ != args.version:
        sys.exit(f"phonenumbers {phonenumbers.__version__} installed, {args.version} wanted")

    automaton = Automaton()
    countries = []
    for code in sorted(COUNTRY_CODE_TO_REGION_CODE):
        regions = [
            PhoneMetadata.metadata_for_region_or_calling_code(code, r)
            for r in COUNTRY_CODE_TO_REGION_CODE[code]
        ]
        regions = [m for m in regions if m is not None]
        # Possible lengths are the main region's, as in is_possible_number.
        lengths = sorted(set(regions[0].general_desc.possible_length))
        max_length = max(max(m.general_desc.possible_length) for m in regions)
        start = automaton.add_country(regions, max_length)
        countries.append({"code": code, "lengths": lengths, "start": start})
    size, states = write_metadata(args.version, countries, automaton)
    print(f"{METADATA_RS}: {len(countries)} codes, {states} states, {size} bytes of tables")
    count = write_oracle(args.version)
    print(f"{ORACLE_TSV}: {count} verdicts")


if __name__ == "__main__":
    main()
