"""Every command shown in README.md and docs/*.md runs, literally, and does what the text says.

The commands come from the documents' fenced blocks, found anew on every run, so a new document or a
new command is covered without touching this file:

- a ```sh block holds commands, one a line (``\\`` continues a line, ``#`` starts a comment);
- a ```console block is a transcript: ``$ COMMAND`` lines, each followed by the output it shows;
- a ```python block is a script (run with the installed interpreter);
- a ```text block is output, a diagram or a listing, and is not run; a fence without a language is an
  error (say which of these it is).

Each document runs in order in its own folder, with a fresh SQLite store (the default store of a
fresh user data folder: ``PROSCRIBE_DB`` is not set), ``proscribe`` being the installed command,
``$?`` the previous command's exit code and the variables a command exports kept for the next ones.
The folder sits beside a ``shared/data`` link to the real list snapshots, so the documents'
``../shared/data`` resolves as it does from the project root; ``examples``, ``tests`` and ``.venv`` are
links to the project's. A document whose commands need a prepared store says how; PREPARE runs what
it says before its commands; a transcript the text says was made on a new store (FRESH) gets a new one,
prepared the same way.

What is checked: the exit code (0, unless the text says the command is refused or fails: a comment
``# refused: ...`` or ``# exit 1``, a transcript ending in ``error: ...`` or followed by ``echo $?``),
each line of a transcript's output (whitespace and table borders aside; the date the transcript was
made and timings may differ), and the phrases EXPECT lists for commands whose promise is in the prose.
Commands that cannot run here are in EXCLUDED with the reason, and the few that run in a shorter form
in SUBSTITUTED with what runs instead and why: the test fails on an entry whose command is no longer
shown (so the lists stay true), and never skips a command silently. A synopsis's optional part
(``[--json]``) is left out.

The output of every command a person reads (not ``--json``, CSV or Python) is also checked for what
must never reach a person (RAW): a Python repr, True/False/None as a value, a FollowTheMoney property's
raw name.
"""

from __future__ import annotations

import itertools
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
VENV_BIN = Path(sys.executable).parent

# --- what cannot run here, and why ------------------------------------------------------------------
# (document, the start of the command as written) -> the reason
SERVES = "serves until stopped (the service is tested in test_service_*.py and test_web.py)"
CLUSTER = "needs a Spark cluster, Kubernetes, YARN or Databricks"
INTERNET = "downloads from the internet"
EXCLUDED: dict[tuple[str, str], str] = {
    ("README.md", "make run"): "sets up a virtualenv, downloads the lists, then " + SERVES,
    ("README.md", "make test"): "runs the whole test suite, this test included",
    ("README.md", "make example"): "the worked example is run by tests/test_example.py",
    ("README.md", "make lint"): "ruff and mypy: run by CI and before each commit",
    ("README.md", "make bench"): "benchmarks: minutes, and fetches name sources from the internet",
    ("README.md", "proscribe lists update\n"): INTERNET + " (the next command reads the mirror)",
    ("README.md", "proscribe serve"): SERVES,
    ("benchmarks.md", "make setup"): "installs the benchmarks' packages",
    ("benchmarks.md", ".venv/bin/python bench/"): "benchmarks: minutes to a quarter of an hour each",
    ("deploy.md", "docker compose"): "needs Docker",
    ("deploy.md", "pip install ."): "installs the package (the test runs the installed one)",
    ("deploy.md", "createdb"): "makes a PostgreSQL database for the service that follows",
    ("deploy.md", "export PROSCRIBE_DB=postgresql"): "points at the database made above",
    ("deploy.md", "proscribe serve"): SERVES,
    ("deploy.md", "proscribe jobs worker"): "a job worker waits on Redis until stopped",
    ("example.md", ".venv/bin/proscribe --db sqlite:///var/example/bank.db serve"): SERVES,
    ("lists.md", "proscribe serve"): SERVES,
    **{
        (
            "lists.md",
            start,
        ): "the two-listing sdn.csv of this transcript is described, not given (test_store.py"
        " imports such files)"
        for start in ("proscribe lists import sdn.csv", "proscribe lists status\n")
    },
    **{
        (
            "lists.md",
            start,
        ): "the re-screen over four versions is a store of its own (a five-customer book, about"
        " 2 minutes a version with --rescreen): test_updates.py and test_replay.py run it"
        for start in (
            "cat customers.csv",
            "proscribe customers import --parties customers.csv",
            "proscribe lists replay ofac-sdn-history/sdn-2021-12-22T185116Z.csv --rescreen",
            "PROSCRIBE_API_KEY=$ANN_KEY proscribe alerts decide 1",
            "PROSCRIBE_API_KEY=$PAT_KEY proscribe alerts approve 1",
            "proscribe lists replay ofac-sdn-history/sdn-2021-12-30T185050Z.csv",
            "proscribe alerts list",
            "proscribe lists update --mirror mirror",
        )
    },
    ("service.md", "proscribe --db sqlite:///var/proscribe.db serve"): SERVES,
    ("service.md", "createdb"): "makes a PostgreSQL database for the service that follows",
    ("service.md", "PROSCRIBE_DB=postgresql"): SERVES + "; a job worker waits on Redis",
    ("service.md", "curl"): "talks to a running service (the API is tested in test_service_*.py)",
    ("service.md", "A="): "sets the headers of the curl commands that follow",
    ("service.md", "from yente_client"): "talks to a running service (tested in test_service_contract.py)",
    ("spark.md", "pip install"): "installs PySpark from PyPI",
    ("spark.md", "proscribe screen-file customers.parquet --engine spark"): "Spark: tested in test_spark.py",
    ("spark.md", "proscribe screen-file customers.csv --engine spark"): "Spark: tested in test_spark.py",
    ("spark.md", "proscribe screen-file customers/ --engine spark"): "Spark: tested in test_spark.py",
    ("spark.md", "SPARK_LOCAL_IP=127.0.0.1 spark-submit"): "spark-submit: tested in test_spark.py",
    ("spark.md", "spark-submit --master spark://"): CLUSTER,
    ("spark.md", "python -m venv env"): "builds a virtualenv archive for YARN; " + CLUSTER,
    ("spark.md", "PYSPARK_DRIVER_PYTHON=env/bin/python"): CLUSTER,
    ("spark.md", "spark-submit --master k8s://"): CLUSTER,
    ("spark.md", "from proscribe.cli.spark_submit import main"): "a Databricks task; " + CLUSTER,
    ("spark.md", "from proscribe.screening import Screener\nfrom proscribe.screening.spark"): CLUSTER,
    ("reports.md", "from proscribe.enforcement import reports"): (
        "a fragment: `session` and `payment` come from the caller"
    ),
    ("ledger.md", "from decimal import Decimal"): "a fragment: the session `s` comes from the caller",
    ("ledger.md", "proscribe accounts withdraw BLK-ACC-1001 3500.00 --license"): (
        "needs a specific licence for ACC-1001 registered and approved first (enforcement.md runs one)"
    ),
    ("service.md", "proscribe keys revoke 1a2b3c4d"): "a key's prefix is random: `keys list` shows it",
}

# --- commands run in a shorter form, and why: (document, start) -> (what runs instead, the reason) ----
SUBSTITUTED: dict[tuple[str, str], tuple[str, str]] = {
    ("README.md", "proscribe lists replay ../shared/data/ofac-sdn-history/sdn-2021-08-to-2024-05"): (
        "mkdir -p first && tar -xJf ../shared/data/ofac-sdn-history/sdn-2021-08-to-2024-05.tar.xz -C first"
        " --strip-components 1 ofac-sdn-history/sdn-2021-08-18T093901Z.csv"
        " ofac-sdn-history/sdn-2021-08-20T013811Z.csv && proscribe lists replay first/*.csv",
        "the whole archive is 309 versions (about 4 minutes, docs/benchmarks.md; test_replay_real.py runs"
        " it): its first two versions are replayed, so that `lists diff us_ofac_sdn 1 2` has its versions",
    ),
}

# --- transcripts made on a new store: (document, start) -> why; a new store (prepared again) first ---
FRESH: dict[tuple[str, str], str] = {
    ("payments.md", "proscribe payments screen tests/fixtures/payments/mt103_blocked.fin"): (
        "the example says: on a new store (its payment and account ids are the first)"
    ),
}

# --- how each document's store and files are prepared, as its text says -------------------------------
#: the README's enforcement section: alice (analyst) and bob (approver) with their keys, alice's the one
#: in use; the example bank imported and screened; the Prosecutor's match approved, so C-1001 is
#: blocked and his funds are in BLK-A-1001 (decision 1, report 1)
README_BOOK = [
    "proscribe users add alice --role analyst",
    "proscribe users add bob --role approver",
    "export ALICE_KEY=$(proscribe keys create --user alice -q)",
    "export BOB_KEY=$(proscribe keys create --user bob -q)",
    "export PROSCRIBE_API_KEY=$ALICE_KEY",
    "cd examples/icc_bank && proscribe customers import --parties parties.csv --accounts accounts.csv"
    " --roles roles.csv --ownership ownership.csv; cd ../..",
    "proscribe rescreen",
    'proscribe alerts decide 1 true_match --reason "same name, birth date and nationality"',
    "PROSCRIBE_API_KEY=$BOB_KEY proscribe alerts approve 1",
]
#: "ann, an analyst, and bob, an approver, with their keys in ANN_KEY and BOB_KEY"; ann's in use
ANN_AND_BOB = [
    "proscribe users add ann --role analyst",
    "proscribe users add bob --role approver",
    "export ANN_KEY=$(proscribe keys create --user ann -q) BOB_KEY=$(proscribe keys create --user bob -q)",
    "export PROSCRIBE_API_KEY=$ANN_KEY",
]
PREPARE: dict[str, list[str]] = {
    # "four OFAC versions of December 2021 and March 2022 (taken from ../shared/data/ofac-sdn-history/)
    # plus the failed capture of 4 May 2024", in a folder ofac-sdn-history/
    "lists.md": [
        "mkdir ofac-sdn-history && tar -xJf ../shared/data/ofac-sdn-history/sdn-2021-08-to-2024-05.tar.xz"
        " -C ofac-sdn-history --strip-components 1"
        + "".join(
            f" ofac-sdn-history/sdn-{when}.csv"
            for when in (
                "2021-12-22T185116Z",
                "2021-12-30T185050Z",
                "2022-03-07T184758Z",
                "2022-03-12T014616Z",
                "2024-05-04T013619Z",
            )
        )
    ],
    "enforcement.md": README_BOOK,
    "reports.md": README_BOOK,
    # "a new store holding the worked example's parties", ann's key in use, bob's in BOB_KEY
    "ledger.md": [*ANN_AND_BOB, "proscribe customers import --parties examples/icc_bank/parties.csv"],
    # an officer's key in PROSCRIBE_API_KEY, "an admin's key in ADMIN_KEY"
    "travel.md": [
        *ANN_AND_BOB[:-1],
        'proscribe users add ada --role admin --map-os "$(whoami)"',  # the first admin makes their own key
        "export ADMIN_KEY=$(proscribe keys create --user ada -q)",
        ANN_AND_BOB[-1],
    ],
    # the lists the screening examples search
    "screening.md": [
        "proscribe lists import ../shared/data/ofac-sdn-2021-07 --as-of 2021-07-01",
        "proscribe lists import ../shared/data/un-2026-02/consolidated.xml",
    ],
    # "the worked example's bank ... an analyst whose API key is in PROSCRIBE_API_KEY, as in the README"
    "customers.md": [
        "proscribe users add alice --role analyst",
        "export PROSCRIBE_API_KEY=$(proscribe keys create --user alice -q)",
        "cp examples/icc_bank/parties.csv examples/icc_bank/accounts.csv examples/icc_bank/roles.csv "
        "examples/icc_bank/ownership.csv .",
    ],
    # "make example ... leaves var/example/bank.db"
    "example.md": [
        ".venv/bin/python examples/icc_bank/run.py --quick --out var/example"
    ],  # --quick: no OFAC list, as test_example.py,
}

# --- what a command promises in the prose around it: phrases its output must contain ---------------
EXPECT: dict[tuple[str, str], list[str]] = {
    ("README.md", "proscribe rescreen"): ["1 alerts opened"],
    ("README.md", "proscribe alerts show 1"): ["C-1001 ~ icc-khan-karim"],
    ("README.md", "PROSCRIBE_API_KEY=$BOB_KEY proscribe alerts approve 1"): [
        "approved",
        "blocks made: block 1",
    ],
    ("README.md", "proscribe accounts list --blocked"): ["BLK-A-1001"],
    ("README.md", "proscribe reports due"): ["blocked property"],
    ("README.md", "from datetime import date"): ["QDi.263"],  # "print(hit...)": the hits are printed
    ("screening.md", "from proscribe.store import Store"): ["QDi.263"],
}


@dataclass
class Command:
    doc: str
    line: int
    lang: str  # sh, console or python
    text: str
    comment: str = ""
    output: list[str] | None = None  # a transcript's lines
    expect_code: int | None = 0  # None: any non-zero code

    def excluded(self) -> str | None:
        for (doc, start), reason in EXCLUDED.items():
            if doc == self.doc and (self.text + "\n").startswith(start):
                return reason
        return None

    def substitute(self) -> str | None:
        for (doc, start), (instead, _) in SUBSTITUTED.items():
            if doc == self.doc and (self.text + "\n").startswith(start):
                return instead
        return None

    def where(self) -> str:
        return f"{self.doc}:{self.line}"


def _split_comment(line: str) -> tuple[str, str]:
    """``command  # comment`` -> (command, comment), minding quotes and ``$(...)``."""
    quote = ""
    for i, ch in enumerate(line):
        if quote:
            if ch == quote:
                quote = ""
        elif ch in "'\"":
            quote = ch
        elif ch == "#" and (i == 0 or line[i - 1] in " \t"):
            return line[:i].rstrip(), line[i + 1 :].strip()
    return line.rstrip(), ""


# a synopsis's optional part, `[--json]`: the command runs without it
_OPTIONAL = re.compile(r" \[-[^]]*\]")


def _logical_lines(lines: list[tuple[int, str]]) -> Iterator[tuple[int, str, str]]:
    """(line number, command, comment) for each command, joining ``\\`` continuations."""
    start, parts, comments = 0, [], []
    for number, raw in lines:
        text, comment = _split_comment(raw)
        if comment:
            comments.append(comment)
        if not parts:
            start = number
        if text.endswith("\\"):
            parts.append(text[:-1].rstrip())
            continue
        parts.append(text)
        command = _OPTIONAL.sub("", " ".join(p.strip() for p in parts if p.strip()))
        if command:
            yield start, command, " ".join(comments)
        parts, comments = [], []


#: a comment saying the command fails: ``# refused: ...``, ``# exit 1: ...``, ``# DENY (exit code 4)``
_REFUSED = re.compile(r"^(refused|exit (code )?[1-9]\b)|\(exit code [1-9]\)", re.IGNORECASE)


def _blocks(path: Path) -> Iterator[tuple[int, str, list[tuple[int, str]]]]:
    lines = path.read_text(encoding="utf-8").splitlines()
    i = 0
    while i < len(lines):
        if lines[i].startswith("```"):
            lang, start, body = lines[i][3:].strip(), i + 1, []
            i += 1
            while i < len(lines) and not lines[i].startswith("```"):
                body.append((i + 1, lines[i]))
                i += 1
            yield start, lang, body
        i += 1


def commands_of(path: Path) -> list[Command]:
    """The commands shown in one document, in order."""
    doc = path.name
    found: list[Command] = []
    for start, lang, body in _blocks(path):
        if lang == "text":
            continue
        if lang == "":
            raise AssertionError(f"{doc}:{start}: a fence without a language (sh, console, python or text)")
        if lang == "python":
            found.append(Command(doc, start + 1, "python", "\n".join(t for _, t in body)))
        elif lang in ("sh", "bash"):
            for number, text, comment in _logical_lines(body):
                code = None if _REFUSED.search(comment) else 0
                found.append(Command(doc, number, "sh", text, comment, expect_code=code))
        elif lang == "console":
            groups: list[tuple[list[tuple[int, str]], list[str]]] = []
            for number, raw in body:
                if raw.startswith("$ "):
                    groups.append(([(number, raw[2:])], []))
                elif groups and groups[-1][0][-1][1].endswith("\\") and not groups[-1][1]:
                    groups[-1][0].append((number, raw))
                elif groups:
                    groups[-1][1].append(raw)
            for group_lines, output in groups:
                for number, text, comment in _logical_lines(group_lines):
                    code: int | None = 0
                    if output and output[0].startswith("error:"):
                        code = None
                    found.append(Command(doc, number, "console", text, comment, output, code))
            # `$ echo $?` tells the code of the command before it
            for before, after in itertools.pairwise(found):
                if after.text == "echo $?" and after.output:
                    before.expect_code = int(after.output[0])
        else:
            raise AssertionError(f"{doc}:{start}: a fence of unknown language {lang!r}")
    return found


# --- checking output ------------------------------------------------------------------------------
_BORDER = re.compile(r"^[\s┏┓┗┛┡┩└┘┌┐├┤┬┴┼━─┃│╇╈╋┳┻═]*$")


def _normal(text: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"[│┃]", " ", text)).strip()


def _line_pattern(line: str) -> re.Pattern[str]:
    """A transcript line as a pattern: the date it was made and timings may differ."""
    pattern = re.escape(_normal(line))
    pattern = re.sub(r"\d+\\\.\d+\\ s\b", r"[\\d.]+ s", pattern)  # 13.1 s
    pattern = pattern.replace("2026\\-12\\-03", r"\d{4}-\d{2}-\d{2}")  # the day the transcript was made
    return re.compile(pattern)


def _ftm_camel_case() -> re.Pattern[str]:
    from followthemoney import model

    names = {p.name for schema in model.schemata.values() for p in schema.properties.values()}
    camel = sorted(n for n in names if re.search(r"[a-z][A-Z]", n))
    return re.compile(r"(?<![\w-])(?:" + "|".join(camel) + r")(?![\w-])")


#: what a person must never read: a Python repr, or a FollowTheMoney property's raw name
RAW = [
    # (not "': ": a listed name may hold an apostrophe, "... ENTERPRISE': Address: City")
    (re.compile(r"\{'|\['"), "a Python repr"),
    (re.compile(r"(?:[:=] ?|\b(?:is|was) )(?:True|False|None)\b"), "True/False/None as a value"),
    (_ftm_camel_case(), "a raw FollowTheMoney property name"),
    # the matcher's explanation as it writes it ("country gb agrees"), not as a person reads it
    (
        re.compile(r"\bcountry [a-z]{2}(?:[a-z]{2})?(?:-[a-z]+)? (?:agrees|not among)\b"),
        "a lower-case country code",
    ),
]


def raw_output(out: str) -> list[str]:
    """What in a command's output is written for Python, not for a person."""
    found = []
    for pattern, what in RAW:
        hit = pattern.search(out)
        if hit:
            line = next(li for li in out.splitlines() if hit.group(0) in li)
            found.append(f"{what} ({hit.group(0)!r} in: {line.strip()[:160]})")
    return found


def _problems(cmd: Command, code: int, out: str) -> list[str]:
    problems = []
    if cmd.lang != "python" and not re.search(r"--json|--format (json|csv)|\bcat ", cmd.text):
        problems += raw_output(out)
    if cmd.expect_code is None and code == 0:
        problems.append("succeeded, but the text says it is refused or fails")
    elif cmd.expect_code is not None and code != cmd.expect_code:
        problems.append(f"exit code {code}, the text says {cmd.expect_code}")
    normal = _normal(out)
    for line in cmd.output or []:
        if _BORDER.match(line) or line.strip() in ("", "..."):
            continue
        if not _line_pattern(line).search(normal):
            problems.append(f"output lacks: {line.strip()}")
    refused = re.search(r"refused: (.+)", cmd.comment)
    if refused and _normal(refused.group(1)).lower() not in normal.lower():
        problems.append(f"output does not say: {refused.group(1)}")
    for (doc, start), phrases in EXPECT.items():
        if doc == cmd.doc and (cmd.text + "\n").startswith(start):
            problems += [f"output lacks: {p}" for p in phrases if _normal(p).lower() not in normal.lower()]
    return problems


# --- running ---------------------------------------------------------------------------------------
@dataclass
class Shell:
    """Runs commands one after another as a shell session would: cwd, exported variables, ``$?``."""

    cwd: Path
    env: dict[str, str]
    state: Path
    last_code: int = 0
    log: list[str] = field(default_factory=list)

    def run(self, cmd: Command) -> tuple[int, str]:
        if cmd.lang == "python":
            argv = [str(VENV_BIN / "python"), "-c", cmd.text]
            proc = subprocess.run(
                argv, cwd=self.cwd, env=self.env, capture_output=True, text=True, timeout=600
            )
            return proc.returncode, proc.stdout + proc.stderr
        script = (
            f"set -a\n(exit {self.last_code})\n{cmd.substitute() or cmd.text}\n__code=$?\n"
            f'env -0 > "{self.state}/env"; pwd > "{self.state}/cwd"\nexit $__code\n'
        )
        proc = subprocess.run(
            ["bash", "-c", script], cwd=self.cwd, env=self.env, capture_output=True, text=True, timeout=600
        )
        self.last_code = proc.returncode
        env_file = self.state / "env"
        if env_file.exists():
            pairs = (item.split("=", 1) for item in env_file.read_text().split("\0") if "=" in item)
            self.env = {k: v for k, v in pairs if k not in ("_", "SHLVL", "PWD", "OLDPWD", "__code")}
            self.cwd = Path((self.state / "cwd").read_text().strip())
        return proc.returncode, proc.stdout + proc.stderr


def _shell(base: Path, cache: Path) -> Shell:
    """A fresh folder beside ``shared/data``, with a fresh user data folder and the installed CLI."""
    work = base / "work"
    work.mkdir(parents=True)
    (base / "shared").mkdir()
    data = Path(os.environ.get("PROSCRIBE_SHARED_DATA", ROOT.parent / "shared" / "data"))
    (base / "shared" / "data").symlink_to(data)
    for name in ("examples", "tests"):
        (work / name).symlink_to(ROOT / name)
    (work / ".venv").symlink_to(VENV_BIN.parent)
    home = base / "home"
    home.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PROSCRIBE_", "PYTEST_", "COV_"))}
    env.update(
        PATH=f"{VENV_BIN}{os.pathsep}{env.get('PATH', '/usr/bin:/bin')}",
        HOME=str(home),
        XDG_DATA_HOME=str(home / "data"),
        XDG_CONFIG_HOME=str(home / "config"),
        XDG_CACHE_HOME=str(cache),  # the index cache is shared by the documents: built once per list version
        COLUMNS="200",
        PROSCRIBE_AUDIT_DIR=os.environ.get("PROSCRIBE_AUDIT_DIR", str(home / "audit")),
        PROSCRIBE_SECRET_FILE=str(home / "session.key"),
    )
    state = base / "state"
    state.mkdir()
    return Shell(work, env, state)


ALL = {path.name: commands_of(path) for path in DOCS}


def test_every_fence_says_what_it_holds() -> None:
    """commands_of raised at import if a fence had no language; every exclusion still names a command."""
    shown = {(c.doc, c.text) for cmds in ALL.values() for c in cmds}
    stale = [
        key
        for key in [*EXCLUDED, *SUBSTITUTED, *FRESH]
        if not any(d == key[0] and (t + "\n").startswith(key[1]) for d, t in shown)
    ]
    assert not stale, f"excluded commands no longer shown in the docs: {stale}"
    unknown = [doc for doc in PREPARE if doc not in ALL]
    assert not unknown, f"PREPARE names documents that do not exist: {unknown}"


@pytest.fixture(scope="module")
def index_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("docs-cache")


@pytest.mark.parametrize("doc", sorted(d for d, cmds in ALL.items() if any(not c.excluded() for c in cmds)))
def test_doc_commands(doc: str, tmp_path: Path, index_cache: Path) -> None:
    shell = _shell(tmp_path, index_cache)
    failures = []

    def prepare() -> None:
        for text in PREPARE.get(doc, []):
            code, out = shell.run(Command(doc, 0, "sh", text))
            assert code == 0, f"{doc}: preparing with `{text}` failed ({code}):\n{out[-2000:]}"

    prepare()
    for cmd in ALL[doc]:
        if cmd.excluded():
            continue
        if any(d == doc and (cmd.text + "\n").startswith(start) for d, start in FRESH):
            shell.env["XDG_DATA_HOME"] = str(tmp_path / f"data-{cmd.line}")
            prepare()
        started = time.process_time()
        code, out = shell.run(cmd)
        problems = _problems(cmd, code, out)
        if problems:
            tail = "\n    ".join(out.strip().splitlines()[-12:])
            failures.append(f"{cmd.where()}: `{cmd.text[:160]}`: " + "; ".join(problems) + f"\n    {tail}")
        shell.log.append(f"{cmd.where()} {code} {time.process_time() - started:.1f}s")
    assert not failures, f"{len(failures)} command(s) of {doc} do not do what the text says:\n" + "\n".join(
        failures
    )
