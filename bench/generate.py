"""A city-scale data set for the benchmarks, loaded into PostgreSQL with COPY.

    python -m bench.generate --scale S [--database-url URL] [--force]

The database (by default `dangjian_bench_<scale>`) is created when missing and migrated with
the product's migrations (in a `manage.py migrate` child process, so that this process may
already be configured for another database, as under pytest). Then the organization tree,
committees, members, mobility records, meetings with their attendance, tasks, dues bases,
payments and the monthly ledger are written with COPY, and three accounts with the password
`Bench@2026` are granted the district, the first sub-district and the first community.

Rows carry exactly what the product's save() would compute: the encrypted ID number and phone
and their blind indexes come from `dangjian.core.crypto` and `name_initials` from the registry
(so the running app must use the same keys: DANGJIAN_FIELD_KEY / DANGJIAN_INDEX_KEY, or the
secret key in debug and tests); every org-bound row carries its district key; a meeting's
held_on is its local date and its figures count its attendance; a dues amount is the product's
`monthly_amount` under the DuesRule rows the migration seeded.

The data is realistic where the six-month blind-spot scan (dangjian/oversight/scan.py) looks:
about 85% attendance, ~3% of members absent for six months and more (a third of them excused
with a reason, which keeps them in), ~5% behind with their dues and ~1% for six months or more,
most branches recording tasks, a few outflow members not reached for over six months.
Deterministic: one `random.Random(seed)` drives every choice (only the encryption nonces vary).

For speed, the secondary indexes and the foreign keys of the big tables are dropped before the
load and rebuilt after it (their definitions read from pg_indexes and pg_constraint), rows get
explicit ids and the sequences are set afterwards, and two tables that are generated together
(meetings and attendance, payments and the ledger) stream through two connections at once. A
table `bench_scale(name, loaded_at, counts)` records the load; a second run returns at once.
"""

from __future__ import annotations

import argparse
import datetime
import json
import math
import os
import random
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit
from zoneinfo import ZoneInfo

import psycopg
import psycopg.sql

from .scales import Scale, get_scale

BASE_DIR = Path(__file__).resolve().parent.parent
DATABASE_PREFIX = "dangjian_bench_"
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/" + DATABASE_PREFIX + "{suffix}"
PASSWORD = "Bench@2026"
SEED = 2026
# Text written per COPY call: large enough that the calls cost nothing, small enough to stream.
FLUSH_CHARS = 1 << 20

# The accounts the benchmarks sign in with: (username, full name, role, which unit, staff).
BENCH_USERS = [
    ("bench_district", "区委组织部测试账号", "district_organizer", "district", True),
    ("bench_subdistrict", "街道党工委测试账号", "subdistrict_organizer", "subdistrict", True),
    ("bench_secretary", "社区书记测试账号", "community_secretary", "community", False),
]

DISTRICT_NAMES = (
    "江岸区 江汉区 硚口区 汉阳区 武昌区 青山区 洪山区 东西湖区 汉南区 蔡甸区 江夏区 黄陂区 新洲区 东湖区 沌口区 临空区"
).split()
PLACE_FIRST = "东西南北中新长青红金桂柳松枫梅兰竹翠锦和光华安平永福康宁春秋丰盛复兴民乐"
PLACE_SECOND = "湖山江河苑园林桥街门城岭港湾塘坊里庄亭坡洲堤源"
CHINESE_DIGITS = "零一二三四五六七八九"

# The kinds of branch a community sets up, after the article's kinds of member: (weight, the
# label in the branch's name, the profile of its members).
BRANCH_KINDS = [
    (45, "", "resident"),
    (25, "离退休党员", "retiree"),
    (12, "在职党员", "in_service"),
    (8, "流动党员", "mobile"),
    (10, "非公企业联合", "enterprise"),
]
PROFILE_AGES = {
    "resident": (25, 88),
    "retiree": (58, 92),
    "in_service": (24, 58),
    "mobile": (22, 55),
    "enterprise": (23, 56),
}
PROFILE_CATEGORIES = {
    "retiree": ["enterprise_retiree"],
    "in_service": ["in_service"],
    "mobile": ["self_employed_mobile"],
}
ETHNIC_MINORITIES = ["回族", "土家族", "满族", "苗族", "壮族", "蒙古族", "朝鲜族"]
EXCUSE_LONG = ["长期住院治疗", "在外地照顾家人", "年老卧床", "异地就医"]
AWAY_REASON = "在外务工"
MOBILE_PLACES = ["广东省深圳市", "浙江省杭州市", "上海市浦东新区", "江苏省苏州市", "北京市朝阳区", "湖南省长沙市"]
INFLOW_PLACES = ["湖北省孝感市", "湖北省黄冈市", "河南省信阳市", "安徽省六安市", "江西省九江市"]
FAMILY = ["配偶", "子女", "父母"]

ATTENDING = ("active", "inflow")
WEEKDAY_HOURS = (9, 10, 14, 15, 19)
SHANGHAI = ZoneInfo("Asia/Shanghai")


# --- The database ------------------------------------------------------------------------------


def default_database_url(scale: Scale) -> str:
    return DEFAULT_URL.format(suffix=scale.database_suffix)


def database_name(database_url: str) -> str:
    return urlsplit(database_url).path.lstrip("/")


def _with_database(database_url: str, name: str) -> str:
    parts = urlsplit(database_url)
    return urlunsplit(parts._replace(path="/" + name))


def _check_name(database_url: str) -> str:
    name = database_name(database_url)
    if not name.startswith(DATABASE_PREFIX):
        raise ValueError(f"refusing to load {name!r}: benchmark databases are named {DATABASE_PREFIX}*")
    return name


def _connect(database_url: str, **kwargs: Any) -> psycopg.Connection:
    return psycopg.connect(database_url.replace("postgres://", "postgresql://", 1), **kwargs)


def database_exists(database_url: str) -> bool:
    name = _check_name(database_url)
    with _connect(_with_database(database_url, "postgres"), autocommit=True) as admin:
        return admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone() is not None


def drop_database(database_url: str) -> None:
    """Drop a benchmark database (closing its sessions); nothing happens when it is missing."""
    name = _check_name(database_url)
    with _connect(_with_database(database_url, "postgres"), autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def create_database(database_url: str) -> None:
    name = _check_name(database_url)
    with _connect(_with_database(database_url, "postgres"), autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE \"{name}\" TEMPLATE template0 ENCODING 'UTF8'")


def loaded_counts(database_url: str, scale_name: str) -> dict[str, Any] | None:
    """What `bench_scale` says was loaded for this scale, or None."""
    if not database_exists(database_url):
        return None
    with _connect(database_url) as conn:
        if conn.execute("SELECT to_regclass('bench_scale')").fetchone()[0] is None:
            return None
        row = conn.execute("SELECT counts FROM bench_scale WHERE name = %s", [scale_name]).fetchone()
    return row[0] if row else None


# --- Django ------------------------------------------------------------------------------------


def _django_environment(database_url: str) -> dict[str, str]:
    """What a management command of the product needs: the settings module, the database, and
    a secret key or the testing flag (which also derives the field keys from the secret key
    when DANGJIAN_FIELD_KEY / DANGJIAN_INDEX_KEY are not set)."""
    env = dict(os.environ)
    env.setdefault("DJANGO_SETTINGS_MODULE", "dangjian.settings")
    env["DATABASE_URL"] = database_url
    has_key = env.get("DJANGO_SECRET_KEY") or env.get("DJANGO_SECRET_KEY_FILE")
    debug = env.get("DJANGO_DEBUG", "").strip().lower() in {"1", "true", "yes", "on"}
    if not has_key and not debug:
        env.setdefault("DANGJIAN_TESTING", "true")
    return env


def setup_django(database_url: str) -> None:
    """Configure Django for `database_url` unless this process is configured already."""
    from django.conf import settings

    if settings.configured:
        return
    for name, value in _django_environment(database_url).items():
        if os.environ.get(name) != value:
            os.environ[name] = value
    import django

    django.setup()


def migrate(database_url: str) -> None:
    subprocess.run(
        [sys.executable, str(BASE_DIR / "manage.py"), "migrate", "--noinput", "-v", "0"],
        cwd=BASE_DIR,
        env=_django_environment(database_url),
        check=True,
    )


# --- COPY --------------------------------------------------------------------------------------


def _text(value: str) -> str:
    """A value in COPY's text format; generated text never holds tabs, newlines or backslashes."""
    if "\t" in value or "\n" in value or "\\" in value:
        raise ValueError(f"unexpected control character in {value!r}")
    return value


class Stream:
    """One COPY into one table through its own connection, written in large chunks."""

    def __init__(self, copy: Any) -> None:
        self.copy = copy
        self.parts: list[str] = []
        self.size = 0
        self.rows = 0

    def add(self, line: str) -> None:
        self.parts.append(line)
        self.size += len(line)
        self.rows += 1
        if self.size >= FLUSH_CHARS:
            self.flush()

    def flush(self) -> None:
        if self.parts:
            self.copy.write("".join(self.parts))
            self.parts, self.size = [], 0


def columns_of(model: Any, names: list[str]) -> list[str]:
    """The columns of `names` (field names) of `model`, checking that no column the database
    requires is missing: a new NOT NULL field in the product makes the generator fail loudly."""
    fields = {field.name: field for field in model._meta.concrete_fields}
    missing = [name for name, field in fields.items() if not field.null and name not in names and not field.primary_key]
    if missing:
        raise RuntimeError(f"{model._meta.db_table}: the generator does not fill {missing}")
    return [fields[name].column for name in names]


class Database:
    """The connections to the benchmark database and the load's bookkeeping."""

    def __init__(self, database_url: str) -> None:
        self.url = database_url
        self.conn = _connect(database_url, autocommit=True)
        self.counts: dict[str, int] = {}
        self.seconds: dict[str, float] = {}
        self.saved: dict[str, list[tuple[str, str]]] = {}

    def close(self) -> None:
        self.conn.close()

    def next_id(self, table: str) -> int:
        return self.conn.execute(f"SELECT COALESCE(MAX(id), 0) + 1 FROM {table}").fetchone()[0]

    @contextmanager
    def timed(self, stage: str) -> Iterator[None]:
        started = time.perf_counter()
        yield
        self.seconds[stage] = round(self.seconds.get(stage, 0.0) + time.perf_counter() - started, 2)

    @contextmanager
    def streams(self, *specs: tuple[Any, list[str]]) -> Iterator[list[Stream]]:
        """One COPY stream per (model, field names), each on its own connection, so that
        PostgreSQL parses two tables on two cores. They commit in the order given: a table whose
        foreign keys are kept is checked (deferred, at commit) against the ones before it."""
        connections, copies, result = [], [], []
        try:
            for model, names in specs:
                columns = ", ".join(columns_of(model, names))
                conn = _connect(self.url)
                connections.append(conn)
                conn.execute("SET synchronous_commit = off")
                manager = conn.cursor().copy(f"COPY {model._meta.db_table} ({columns}) FROM STDIN")
                result.append(Stream(manager.__enter__()))
                copies.append(manager)
            yield result
            for stream, manager in zip(result, copies, strict=True):
                stream.flush()
                manager.__exit__(None, None, None)
            for conn in connections:
                conn.commit()
        finally:
            for conn in connections:
                conn.close()  # without a commit: rolled back
        for (model, _names), stream in zip(specs, result, strict=True):
            table = model._meta.db_table
            self.counts[table] = self.counts.get(table, 0) + stream.rows

    # Secondary indexes and foreign keys of the big tables: saved, dropped, rebuilt.

    def drop_secondary(self, table: str) -> None:
        rows = self.conn.execute(
            """
            SELECT c.conname, c.contype, pg_get_constraintdef(c.oid)
            FROM pg_constraint c WHERE c.conrelid = %s::regclass AND c.contype IN ('f', 'u')
            ORDER BY c.conname
            """,
            [table],
        ).fetchall()
        primary = self.conn.execute(
            "SELECT conname FROM pg_constraint WHERE conrelid = %s::regclass AND contype = 'p'", [table]
        ).fetchone()[0]
        indexes = dict(
            self.conn.execute(
                "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' AND tablename = %s",
                [table],
            ).fetchall()
        )
        unique_names = {name for name, kind, _ in rows if kind == "u"}
        saved: list[tuple[str, str]] = []
        for name, definition in sorted(indexes.items()):
            if name == primary:
                continue
            if name in unique_names:
                # Rebuilt as an index first, then attached as the constraint (no second scan).
                saved.append((definition, f'ALTER TABLE {table} ADD CONSTRAINT "{name}" UNIQUE USING INDEX "{name}"'))
            else:
                saved.append((definition, ""))
        for name, kind, definition in rows:
            if kind == "f":
                saved.append((f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}', ""))
        for name, _kind, _ in rows:
            self.conn.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
        for name in indexes:
            if name != primary and name not in unique_names:
                self.conn.execute(f'DROP INDEX "{name}"')
        self.saved[table] = saved

    def restore_secondary(self) -> None:
        """Indexes first (unique ones attached to their constraints), then the foreign keys,
        which PostgreSQL validates with one join each."""
        self.conn.execute("SET maintenance_work_mem = '512MB'")
        self.conn.execute("SET max_parallel_maintenance_workers = 2")
        statements = [item for saved in self.saved.values() for item in saved]
        for first, then in statements:
            if not first.startswith("ALTER TABLE"):
                self.conn.execute(first)
                if then:
                    self.conn.execute(then)
        for first, _ in statements:
            if first.startswith("ALTER TABLE"):
                self.conn.execute(first)
        self.saved = {}

    def reset_sequence(self, table: str) -> None:
        self.conn.execute(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), COALESCE(MAX(id), 0) + 1, false) FROM {table}"
        )


# --- The data ----------------------------------------------------------------------------------


def chinese_number(number: int) -> str:
    """1 → 一, 12 → 十二, 30 → 三十 (numbers below a hundred, as branch names use them)."""
    tens, ones = divmod(number, 10)
    if tens == 0:
        return CHINESE_DIGITS[ones]
    head = "" if tens == 1 else CHINESE_DIGITS[tens]
    return head + "十" + (CHINESE_DIGITS[ones] if ones else "")


def month_add(day: datetime.date, months: int) -> datetime.date:
    index = day.year * 12 + day.month - 1 + months
    return datetime.date(index // 12, index % 12 + 1, 1)


def days_in(month: datetime.date) -> int:
    return (month_add(month, 1) - month).days


@dataclass
class Unit:
    pk: int
    kind: str
    code: str
    name: str
    path: str
    district: int


@dataclass
class BranchPlan:
    unit: Unit
    community: Unit
    profile: str
    size: int
    groups: list[int] = field(default_factory=list)
    seats: list[str] = field(default_factory=list)  # positions of the current committee
    committee_members: list[int] = field(default_factory=list)
    records_tasks: bool = True
    irregular: bool = False
    # Members as (pk, group, status, voting, join month index, name).
    members: list[tuple[int, int, str, bool, int, str]] = field(default_factory=list)


class Generator:
    def __init__(self, scale: Scale, db: Database, *, seed: int = SEED) -> None:
        from django.utils import timezone

        from dangjian.core.choices import Position

        self.scale = scale
        self.db = db
        self.rng = random.Random(seed)
        self.seed = seed
        self.now = timezone.now()
        self.now_text = self.now.isoformat()
        self.today = timezone.localdate()
        self.current = self.today.replace(day=1)
        self.months = [month_add(self.current, offset) for offset in range(1 - scale.months, 1)]
        self.month_index = {month: index for index, month in enumerate(self.months)}
        # The scan's window: the six complete months before this one.
        self.window_first = len(self.months) - 7
        self.positions = list(Position.values)
        self.districts: list[Unit] = []
        self.subdistricts: list[Unit] = []
        self.communities: list[Unit] = []
        self.branches: list[BranchPlan] = []
        self.units: list[tuple] = []
        self.chronic: dict[int, int] = {}  # member → first month index of the long absence
        self.chronic_excused: set[int] = set()
        self.away: set[int] = set()
        self.dues_members: list[tuple[int, int, int, str, int, str, set[str]]] = []
        self.initials: dict[str, str] = {}
        self.serials: dict[tuple[str, int], int] = {}

    # --- The tree ------------------------------------------------------------------------

    def _unit(self, kind: str, code: str, name: str, parent: Unit | None, pk: int) -> Unit:
        path = (parent.path if parent else "") + f"{pk:08d}."
        district = parent.district if parent else pk
        unit = Unit(pk, kind, code, name, path, district)
        established = datetime.date(self.today.year - self.rng.randint(3, 40), self.rng.randint(1, 12), 1)
        self.units.append((unit, parent.pk if parent else None, established))
        return unit

    def _place(self, suffix: str) -> str:
        return self.rng.choice(PLACE_FIRST) + self.rng.choice(PLACE_SECOND) + suffix

    @staticmethod
    def _spread(total: int, parts: int) -> list[int]:
        base, extra = divmod(total, parts)
        return [base + (1 if index < extra else 0) for index in range(parts)]

    def _branch_sizes(self, total: int) -> list[int]:
        """Skewed: most branches 15–60 members, some small, some of 100 and more."""
        sizes = []
        left = total
        while left > 0:
            roll = self.rng.random()
            if roll < 0.08:
                size = self.rng.randint(8, 14)
            elif roll < 0.80:
                size = self.rng.randint(15, 60)
            elif roll < 0.93:
                size = self.rng.randint(61, 99)
            else:
                size = self.rng.randint(100, 180)
            if left - size < 8:
                size = left
            sizes.append(size)
            left -= size
        return sizes

    def plan_tree(self) -> None:
        from dangjian.core.choices import OrgKind

        scale, rng = self.scale, self.rng
        pk = self.db.next_id("core_orgunit")
        weights = [rng.lognormvariate(0, 0.35) for _ in range(scale.communities)]
        total_weight = sum(weights)
        community_sizes = [int(scale.members * weight / total_weight) for weight in weights]
        for index in range(scale.members - sum(community_sizes)):
            community_sizes[index % scale.communities] += 1
        subdistricts_per = self._spread(scale.subdistricts, scale.districts)
        communities_per = self._spread(scale.communities, scale.subdistricts)
        sub_index = community_index = 0
        for d in range(scale.districts):
            code = f"QU{d + 1:02d}"
            district = self._unit(OrgKind.DISTRICT, code, DISTRICT_NAMES[d % len(DISTRICT_NAMES)], None, pk)
            pk += 1
            self.districts.append(district)
            for s in range(subdistricts_per[d]):
                sub_code = f"{code}-JD{s + 1:02d}"
                subdistrict = self._unit(OrgKind.SUBDISTRICT, sub_code, self._place("街道"), district, pk)
                pk += 1
                self.subdistricts.append(subdistrict)
                for c in range(communities_per[sub_index]):
                    community_code = f"{sub_code}-SQ{c + 1:02d}"
                    community = self._unit(OrgKind.COMMUNITY, community_code, self._place("社区"), subdistrict, pk)
                    pk += 1
                    self.communities.append(community)
                    pk = self._plan_branches(community, community_sizes[community_index], pk)
                    community_index += 1
                sub_index += 1

    def _plan_branches(self, community: Unit, members: int, pk: int) -> int:
        from dangjian.core.choices import OrgKind

        rng = self.rng
        sizes = self._branch_sizes(members)
        parent = community
        # Larger communities organize their branches under a general branch (党总支).
        if len(sizes) >= 7 and rng.random() < 0.7:
            parent = self._unit(
                OrgKind.GENERAL_BRANCH, f"{community.code}-ZZ", f"{community.name}党总支", community, pk
            )
            pk += 1
        per_kind: dict[str, int] = {}
        weights = [weight for weight, _, _ in BRANCH_KINDS]
        for number, size in enumerate(sizes, start=1):
            _, label, profile = BRANCH_KINDS[0] if number == 1 else rng.choices(BRANCH_KINDS, weights=weights)[0]
            per_kind[label] = per_kind.get(label, 0) + 1
            name = f"{community.name}{label}第{chinese_number(per_kind[label])}党支部"
            branch = self._unit(OrgKind.BRANCH, f"{community.code}-B{number:02d}", name, parent, pk)
            pk += 1
            plan = BranchPlan(branch, community, profile, size)
            plan.records_tasks = rng.random() < 0.85
            plan.irregular = rng.random() < 0.08
            if size >= 20:
                for group in range(1, min(6, math.ceil(size / 15)) + 1):
                    plan.groups.append(pk)
                    self._unit(OrgKind.GROUP, f"{branch.code}-G{group}", f"第{chinese_number(group)}党小组", branch, pk)
                    pk += 1
            self.branches.append(plan)
        return pk

    def load_tree(self) -> None:
        from dangjian.core.models import OrgUnit

        names = ["id", "kind", "code", "name", "parent", "district", "path", "depth", "status", "established_on"]
        names += ["close_reason", "address", "sort_order", "version", "created_at", "updated_at"]
        now = self.now_text
        with self.db.streams((OrgUnit, names)) as (stream,):
            for unit, parent, established in self.units:
                depth = unit.path.count(".") - 1
                address = f"{unit.name}党群服务中心" if unit.kind in ("community", "subdistrict") else ""
                stream.add(
                    f"{unit.pk}\t{unit.kind}\t{unit.code}\t{_text(unit.name)}\t{parent if parent else chr(92) + 'N'}"
                    f"\t{unit.district}\t{unit.path}\t{depth}\tactive\t{established.isoformat()}\t\t{address}\t0\t1"
                    f"\t{now}\t{now}\n"
                )
        self.db.reset_sequence(OrgUnit._meta.db_table)

    # --- Members -------------------------------------------------------------------------

    def _name(self, male: bool) -> str:
        from dangjian.demo.members import GIVEN_FEMALE, GIVEN_MALE
        from dangjian.demo.seed import SURNAMES

        return self.rng.choice(SURNAMES) + self.rng.choice(GIVEN_MALE if male else GIVEN_FEMALE)

    def _initials(self, name: str) -> str:
        from dangjian.members.models import name_initials

        initials = self.initials.get(name)
        if initials is None:
            initials = self.initials[name] = name_initials(name)
        return initials

    def _id_number(self, birth: datetime.date, male: bool) -> str:
        from stdnum.cn import ric

        from dangjian.demo.members import LOCAL_REGIONS, OTHER_REGIONS

        region = self.rng.choice(LOCAL_REGIONS if self.rng.random() < 0.8 else OTHER_REGIONS)
        key = (region, birth.toordinal())
        serial = self.serials.get(key, self.rng.randrange(5, 40) * 2)
        # The 17th digit is odd for men and even for women.
        if (serial % 2 == 1) != male:
            serial += 1
        if serial > 999:
            raise RuntimeError(f"ran out of ID serials for {key}")
        self.serials[key] = serial + 1
        body = f"{region}{birth:%Y%m%d}{serial:03d}"
        return body + ric.calc_check_digit(body + "0")

    def _education(self, age: int) -> str:
        if age >= 65:
            weights = (3, 5, 4, 2, 1, 0, 0)
        elif age >= 45:
            weights = (0, 3, 4, 3, 3, 1, 0)
        else:
            weights = (0, 0, 1, 3, 6, 2, 1)
        return self.rng.choices(("primary", "junior", "senior", "college", "bachelor", "master", "doctor"), weights)[0]

    def _categories(self, profile: str, age: int) -> list[str]:
        codes = list(PROFILE_CATEGORIES.get(profile, []))
        roll = self.rng.random()
        if profile == "resident":
            if roll < 0.15:
                codes.append("laid_off")
            elif roll < 0.27:
                codes.append("labour_relation_ended")
            elif roll < 0.60 and age >= 60:
                codes.append("enterprise_retiree")
        if age >= 75 and self.rng.random() < 0.5:
            codes.append("elderly_ill")
        if self.rng.random() < 0.05:
            codes.append("in_hardship")
        return codes

    def load_members(self) -> None:
        from dangjian.core.crypto import blind_index, encrypt
        from dangjian.core.models import add_years
        from dangjian.demo.members import OCCUPATIONS, WORK_UNITS
        from dangjian.members.models import Member, MemberCategory, MobileMember, check_id_number

        rng, today = self.rng, self.today
        categories = dict(self.db.conn.execute(f"SELECT code, id FROM {MemberCategory._meta.db_table}").fetchall())
        member_names = ["id", "name", "name_initials", "gender", "ethnicity", "birth_date", "id_number"]
        member_names += ["id_number_index", "phone", "phone_index", "education", "occupation", "work_unit"]
        member_names += ["residence_community", "grid", "building", "room", "join_date", "full_member_date"]
        member_names += ["membership_type", "standing", "status", "branch", "group", "district", "hardship_notes"]
        member_names += ["version", "created_at", "updated_at"]
        through = Member.categories.through
        mobile_names = ["id", "direction", "status", "member", "place", "counterpart", "reason", "reason_note"]
        mobile_names += ["since", "contact_phone", "contact_other", "card_number", "last_contact_on", "district"]
        mobile_names += ["version", "created_at", "updated_at"]
        member_pk = self.db.next_id(Member._meta.db_table)
        link_pk = self.db.next_id(through._meta.db_table)
        mobile_pk = self.db.next_id(MobileMember._meta.db_table)
        self.mobiles: list[tuple[int, int, datetime.date, datetime.date | None]] = []
        now = self.now_text
        latest_full_join = today - datetime.timedelta(days=400)
        base_month = self.months[0].year * 12 + self.months[0].month - 1
        community_ids = [community.pk for community in self.communities]
        with self.db.streams(
            (Member, member_names), (through, ["id", "member", "membercategory"]), (MobileMember, mobile_names)
        ) as (members, links, mobiles):
            for plan in self.branches:
                kind = plan.profile
                low, high = PROFILE_AGES[kind]
                branch, community = plan.unit, plan.community
                for _ in range(plan.size):
                    male = rng.random() < 0.58
                    age = rng.randint(low, high)
                    birth = today - datetime.timedelta(days=age * 365 + rng.randrange(365))
                    name = self._name(male)
                    id_number = self._id_number(birth, male)
                    if member_pk % 997 == 0 and check_id_number(id_number) != birth:
                        raise RuntimeError(f"generated ID number {id_number} does not hold its birth date")
                    phone = f"1{rng.choice('3578')}{rng.randrange(10**9):09d}" if rng.random() < 0.95 else ""
                    earliest = add_years(birth, 18)
                    join = earliest + datetime.timedelta(days=rng.randrange(max(1, (today - earliest).days - 30)))
                    probationary = join > latest_full_join or rng.random() < 0.02
                    if probationary:
                        join = max(earliest, today - datetime.timedelta(days=rng.randrange(30, 330)))
                    status, standing = "active", "normal"
                    roll = rng.random()
                    if kind == "mobile" and roll < 0.3:
                        status = "inflow"
                    elif roll < 0.012:
                        status = "transferred_out"
                    elif roll < 0.02:
                        status = "lost_contact"
                    elif roll < 0.03 and age > 70:
                        status = "deceased"
                    elif roll < 0.032:
                        status = "removed"
                    roll = rng.random()
                    if roll < 0.005:
                        standing = "retained"
                    elif roll < 0.008:
                        standing = "suspended"
                    elif status == "removed":
                        standing = "left"
                    residence = community.pk
                    if rng.random() < 0.01:
                        residence = rng.choice(community_ids)
                    codes = self._categories(kind, age)
                    occupation = rng.choice(OCCUPATIONS["retiree" if age >= 62 else kind])
                    work_unit = rng.choice(WORK_UNITS) if kind in ("in_service", "enterprise") else ""
                    # Most members of a branch with groups are in one (not the newly joined, the
                    # bedridden, those away).
                    group = rng.choice(plan.groups) if plan.groups and rng.random() < 0.72 else 0
                    hardship = "家庭生活困难，需定期走访" if "in_hardship" in codes else ""
                    ethnicity = "汉族" if rng.random() < 0.93 else rng.choice(ETHNIC_MINORITIES)
                    members.add(
                        f"{member_pk}\t{name}\t{self._initials(name)}\t{'male' if male else 'female'}\t{ethnicity}"
                        f"\t{birth.isoformat()}\t{encrypt(id_number)}\t{blind_index(id_number)}"
                        f"\t{encrypt(phone) if phone else ''}\t{blind_index(phone) if phone else ''}"
                        f"\t{self._education(age)}\t{occupation}\t{work_unit}\t{residence}"
                        f"\t第{rng.randint(1, 8)}网格\t{rng.randint(1, 40)}栋"
                        f"\t{rng.randint(1, 28)}{rng.randint(1, 4):02d}"
                        f"\t{join.isoformat()}\t{chr(92) + 'N' if probationary else add_years(join, 1).isoformat()}"
                        f"\t{'probationary' if probationary else 'full'}\t{standing}\t{status}\t{branch.pk}"
                        f"\t{group or chr(92) + 'N'}\t{branch.district}\t{hardship}\t1\t{now}\t{now}\n"
                    )
                    for code in codes:
                        links.add(f"{link_pk}\t{member_pk}\t{categories[code]}\n")
                        link_pk += 1
                    join_index = join.year * 12 + join.month - 1 - base_month
                    voting = status == "active" and not probationary and standing == "normal"
                    if status == "inflow":
                        since = today - datetime.timedelta(days=rng.randint(300, 1500))
                        mobiles.add(
                            f"{mobile_pk}\tinflow\taway\t{member_pk}\t{rng.choice(INFLOW_PLACES)}"
                            f"\t{rng.choice(INFLOW_PLACES)}某村党支部\twork\t\t{since.isoformat()}\t\t\t"
                            f"\t\\N\t{branch.district}\t1\t{now}\t{now}\n"
                        )
                        mobile_pk += 1
                    elif status == "active" and rng.random() < (0.25 if kind == "mobile" else 0.008):
                        # Away on an outflow: most reached lately, some not for over six months.
                        since = today - datetime.timedelta(days=rng.randint(250, 1500))
                        if rng.random() < 0.8:
                            last = today - datetime.timedelta(days=rng.randint(3, 90))
                        else:
                            last = today - datetime.timedelta(days=rng.randint(200, 420))
                        last = max(last, since)
                        contact = encrypt(phone) if phone else ""
                        mobiles.add(
                            f"{mobile_pk}\toutflow\taway\t{member_pk}\t{rng.choice(MOBILE_PLACES)}\t"
                            f"\t{rng.choice(['work', 'work', 'family', 'study'])}\t\t{since.isoformat()}"
                            f"\t{contact}\t\tLD{member_pk:08d}\t{last.isoformat()}\t{branch.district}\t1\t{now}\t{now}\n"
                        )
                        self.mobiles.append((mobile_pk, branch.district, since, last))
                        self.away.add(member_pk)
                        mobile_pk += 1
                    plan.members.append((member_pk, group, status, voting, join_index, name))
                    if status == "active":
                        self.dues_members.append((member_pk, branch.district, join_index, kind, age, occupation, codes))
                    elif status == "lost_contact":
                        self.dues_members.append((member_pk, branch.district, join_index, "lost", age, "", codes))
                    member_pk += 1
        for model in (Member, through, MobileMember):
            self.db.reset_sequence(model._meta.db_table)

    def load_contacts(self) -> None:
        from dangjian.members.models import ContactLog

        names = ["id", "mobile", "district", "contacted_on", "channel", "result", "notes", "created_at"]
        pk = self.db.next_id(ContactLog._meta.db_table)
        with self.db.streams((ContactLog, names)) as (stream,):
            for mobile_pk, district, since, last in self.mobiles:
                if last > since:
                    stream.add(
                        f"{pk}\t{mobile_pk}\t{district}\t{last}\tphone\treached\t电话联系，在外务工情况正常\t{self.now_text}\n"
                    )
                    pk += 1
                # A recent attempt that did not get through, for those not reached for long.
                if (self.today - last).days > 180:
                    tried = self.today - datetime.timedelta(days=self.rng.randint(5, 60))
                    stream.add(
                        f"{pk}\t{mobile_pk}\t{district}\t{tried}\tphone\tnot_reached\t电话无人接听\t{self.now_text}\n"
                    )
                    pk += 1
        self.db.reset_sequence(ContactLog._meta.db_table)

    # --- Committees ----------------------------------------------------------------------

    def load_committees(self) -> None:
        from dangjian.core.choices import term_years
        from dangjian.core.models import BranchCommittee, CommitteeSeat, add_years

        rng, today = self.rng, self.today
        committee_names = ["id", "org_unit", "district", "term_number", "term_start", "term_end", "notes", "version"]
        committee_names += ["created_at"]
        seat_names = ["id", "committee", "district", "person_name", "position", "started_on", "left_reason", "rank"]
        seat_names += ["created_at"]
        committee_pk = self.db.next_id(BranchCommittee._meta.db_table)
        seat_pk = self.db.next_id(CommitteeSeat._meta.db_table)
        three = ["secretary", "organization_member", "publicity_member"]
        five = ["secretary", "deputy_secretary", "organization_member", "publicity_member", "discipline_member"]
        plans = {plan.unit.pk: plan for plan in self.branches}
        now = self.now_text
        with self.db.streams((BranchCommittee, committee_names), (CommitteeSeat, seat_names)) as (committees, seats):
            for unit, _parent, _established in self.units:
                if unit.kind not in ("community", "general_branch", "branch"):
                    continue
                plan = plans.get(unit.pk)
                if plan is not None and (plan.size < 7 or rng.random() < 0.08):
                    continue  # a small or newly set-up branch without a committee
                years = term_years(unit.kind)
                roll = rng.random()
                if roll < 0.10:
                    end = today + datetime.timedelta(days=rng.randint(1, 90))
                    start = add_years(end, -years)
                elif roll < 0.13:
                    end = today - datetime.timedelta(days=rng.randint(1, 120))
                    start = add_years(end, -years)
                else:
                    start = today - datetime.timedelta(days=rng.randint(100, 365 * years - 100))
                    end = add_years(start, years)
                committees.add(
                    f"{committee_pk}\t{unit.pk}\t{unit.district}\t{rng.randint(1, 8)}\t{start}\t{end}\t\t1\t{now}\n"
                )
                positions = five if (plan is None or plan.size >= 50) else three
                if plan is not None:
                    candidates = [m for m in plan.members if m[3]]
                    chosen = rng.sample(candidates, min(len(positions), len(candidates)))
                    plan.seats = positions
                    plan.committee_members = [m[0] for m in chosen]
                    people = [m[5] for m in chosen] + [self._name(rng.random() < 0.5) for _ in positions]
                else:
                    people = [self._name(rng.random() < 0.5) for _ in positions]
                for position, person in zip(positions, people, strict=False):
                    rank = self.positions.index(position)
                    seats.add(
                        f"{seat_pk}\t{committee_pk}\t{unit.district}\t{person}\t{position}\t{start}\t\t{rank}\t{now}\n"
                    )
                    seat_pk += 1
                committee_pk += 1
        for model in (BranchCommittee, CommitteeSeat):
            self.db.reset_sequence(model._meta.db_table)

    # --- Organizational life -------------------------------------------------------------

    def choose_chronic(self) -> None:
        """About 3% of the members who attend miss everything for six months or more; a third
        of them were excused with a reason (long illness, caring for family), which keeps them
        out of the six-month rule."""
        first = max(0, self.window_first)
        for plan in self.branches:
            committee = set(plan.committee_members)
            for pk, _group, status, _voting, join_index, _name in plan.members:
                if status not in ATTENDING or pk in committee or pk in self.away or join_index > first:
                    continue
                if self.rng.random() < 0.03:
                    self.chronic[pk] = max(0, first - self.rng.choice((0, 0, 1, 2, 3)))
                    if self.rng.random() < 0.33:
                        self.chronic_excused.add(pk)

    def _held_at(self, month: datetime.date, first: int, last: int) -> datetime.datetime:
        day = self.rng.randint(first, min(last, days_in(month)))
        hour = self.rng.choice(WEEKDAY_HOURS)
        return datetime.datetime(month.year, month.month, day, hour, 30, tzinfo=SHANGHAI)

    def load_orglife(self) -> None:
        from dangjian.demo.orglife import AGENDAS, PLACES, REASONS, TOPICS
        from dangjian.orglife.models import Attendance, Meeting

        meeting_names = ["id", "branch", "group", "district", "kind", "status", "title", "agenda", "held_at"]
        meeting_names += ["held_on", "place", "chair", "recorder", "speaker", "minutes", "expected_count"]
        meeting_names += ["present_count", "excused_count", "absent_count", "quorum_rule", "quorum_required"]
        meeting_names += ["quorum_met", "version", "created_at", "updated_at"]
        attendance_names = ["id", "meeting", "held_on", "district", "member", "status", "reason"]
        self.meeting_pk = self.db.next_id(Meeting._meta.db_table)
        self.attendance_pk = self.db.next_id(Attendance._meta.db_table)
        rng = self.rng
        last_index = len(self.months) - 1
        # The year's life meeting and appraisal: in January or February when the history holds
        # them, else in its first months.
        early = [index for index, month in enumerate(self.months) if month.month in (1, 2)] or [0, 1, 2]
        quarters: dict[tuple[int, int], list[int]] = {}
        for index, month in enumerate(self.months):
            quarters.setdefault((month.year, (month.month - 1) // 3), []).append(index)
        self.topics, self.agendas, self.places, self.reasons = TOPICS, AGENDAS, PLACES, REASONS
        with self.db.streams((Meeting, meeting_names), (Attendance, attendance_names)) as (meetings, attendance):
            self.meeting_stream, self.attendance_stream = meetings, attendance
            for plan in self.branches:
                attending = [m for m in plan.members if m[2] in ATTENDING]
                if not attending:
                    continue
                committee = set(plan.committee_members)
                committee_rows = [m for m in attending if m[0] in committee]
                by_group: dict[int, list] = {group: [] for group in plan.groups}
                for member in attending:
                    if member[1]:
                        by_group[member[1]].append(member)
                voting = sum(1 for m in attending if m[3])
                secretary = next((m[5] for m in attending if m[0] in committee), "支部书记")
                skips = set(rng.sample(range(len(self.months)), 3)) if plan.irregular else set()
                for index, month in enumerate(self.months):
                    self._meeting(plan, "themed_day", self._held_at(month, 5, 25), index, attending, secretary)
                    if plan.seats and index not in skips:
                        self._meeting(
                            plan, "committee_meeting", self._held_at(month, 1, 8), index, committee_rows, secretary
                        )
                    for group, members in by_group.items():
                        if index in skips and group == plan.groups[0]:
                            continue
                        self._meeting(
                            plan, "group_meeting", self._held_at(month, 10, 27), index, members, secretary, group
                        )
                for indexes in quarters.values():
                    if last_index in indexes and plan.irregular:
                        continue  # this quarter's general meeting and lecture not yet held
                    index = rng.choice([i for i in indexes if i < last_index] or indexes)
                    self._meeting(
                        plan,
                        "general_meeting",
                        self._held_at(self.months[index], 8, 20),
                        index,
                        attending,
                        secretary,
                        voting=voting,
                    )
                    index = rng.choice([i for i in indexes if i < last_index] or indexes)
                    self._meeting(
                        plan, "party_lecture", self._held_at(self.months[index], 12, 24), index, attending, secretary
                    )
                index = rng.choice(early)
                self._meeting(
                    plan, "life_meeting", self._held_at(self.months[index], 10, 25), index, attending, secretary
                )
                self._meeting(
                    plan, "member_appraisal", self._held_at(self.months[index], 26, 28), index, attending, secretary
                )
        self.db.reset_sequence(Meeting._meta.db_table)
        self.db.reset_sequence(Attendance._meta.db_table)

    def _meeting(
        self,
        plan: BranchPlan,
        kind: str,
        held_at: datetime.datetime,
        month_index: int,
        listed: list[tuple[int, int, str, bool, int, str]],
        secretary: str,
        group: int = 0,
        *,
        voting: int = 0,
    ) -> None:
        rng = self.rng
        meeting_pk = self.meeting_pk
        self.meeting_pk += 1
        held_on = held_at.date()
        district = plan.unit.district
        status = "planned"
        present = excused = expected = present_voting = 0
        if held_at <= self.now and rng.random() > 0.003:
            status = "held"
            prefix = f"\t{meeting_pk}\t{held_on}\t{district}\t"
            add = self.attendance_stream.add
            pk = self.attendance_pk
            committee = kind == "committee_meeting"
            for member, _group, _status, member_voting, join_index, _name in listed:
                if join_index > month_index:
                    continue  # not yet a member
                expected += 1
                chronic_from = self.chronic.get(member)
                if chronic_from is not None and month_index >= chronic_from:
                    if member in self.chronic_excused and rng.random() < 0.4:
                        line, excused = f"excused\t{rng.choice(EXCUSE_LONG)}\n", excused + 1
                    else:
                        line = "absent\t\n"
                elif member in self.away:
                    if rng.random() < 0.5:
                        line, excused = f"excused\t{AWAY_REASON}\n", excused + 1
                    else:
                        line = "absent\t\n"
                else:
                    roll = rng.random()
                    if roll < 0.86 or (committee and roll < 0.97):
                        line, present = "present\t\n", present + 1
                        present_voting += member_voting
                    elif roll < 0.93:
                        line, excused = f"excused\t{rng.choice(self.reasons)}\n", excused + 1
                    else:
                        line = "absent\t\n"
                add(f"{pk}{prefix}{member}\t{line}")
                pk += 1
            self.attendance_pk = pk
        elif held_at <= self.now:
            status = "cancelled"
        quorum_rule, required, met = "none", 0, "\\N"
        if status == "held" and kind == "general_meeting":
            quorum_rule, required = "more_than_half", voting // 2 + 1
            met = "t" if present_voting >= required else "f"
        elif status == "held" and kind == "committee_meeting":
            expected = len(plan.seats)
            quorum_rule, required = "at_least_half", math.ceil(expected / 2)
            met = "t" if present >= required else "f"
        elif kind in ("general_meeting", "committee_meeting"):
            quorum_rule = "more_than_half" if kind == "general_meeting" else "at_least_half"
        chair = "党小组长" if kind == "group_meeting" else secretary
        recorder = "组织委员"
        speaker = secretary if kind == "party_lecture" else ""
        agenda = self.agendas[kind]
        if status == "held":
            minutes = f"会议由{chair}主持，{recorder}记录。应到{expected}人，实到{present}人。{agenda}"
        elif status == "cancelled":
            minutes = "会议取消：恰逢社区防汛值守，改期召开。"
        else:
            minutes = ""
        absent = max(0, expected - present - excused) if status == "held" else 0
        if status != "held":
            expected = present = excused = 0
        self.meeting_stream.add(
            f"{meeting_pk}\t{plan.unit.pk}\t{group or chr(92) + 'N'}\t{district}\t{kind}\t{status}"
            f"\t{rng.choice(self.topics[kind])}\t{agenda}\t{held_at.isoformat()}\t{held_on}\t{rng.choice(self.places)}"
            f"\t{chair}\t{recorder}\t{speaker}\t{minutes}\t{expected}\t{present}\t{excused}\t{absent}\t{quorum_rule}"
            f"\t{required}\t{met}\t1\t{self.now_text}\t{self.now_text}\n"
        )

    def load_tasks(self) -> None:
        from dangjian.demo.orglife import TASKS
        from dangjian.orglife.models import MemberTask

        rng, today = self.rng, self.today
        names = ["id", "member", "district", "title", "description", "assigned_on", "due_on", "done_on", "status"]
        names += ["result", "version", "created_at"]
        pk = self.db.next_id(MemberTask._meta.db_table)
        # The first task falls within the scan's window (the six complete months), a second one
        # anywhere from then to today.
        start = self.months[max(0, self.window_first)]
        window_days = (self.current - start).days - 10
        span = (today - start).days
        with self.db.streams((MemberTask, names)) as (stream,):
            for plan in self.branches:
                if not plan.records_tasks:
                    continue
                for member, _group, status, _voting, _join, _name in plan.members:
                    if status not in ATTENDING:
                        continue
                    if member in self.chronic and member not in self.chronic_excused and rng.random() < 0.8:
                        continue
                    if rng.random() < 0.03:
                        continue
                    for number in range(1 if rng.random() < 0.7 else 2):
                        title, description, result = rng.choice(TASKS)
                        assigned = start + datetime.timedelta(days=rng.randint(0, span if number else window_days))
                        due = assigned + datetime.timedelta(days=rng.randint(14, 45))
                        state, done, outcome = "open", "\\N", ""
                        roll = rng.random()
                        if due < today and roll < 0.8:
                            state, outcome = "done", result
                            done = min(today, assigned + datetime.timedelta(days=rng.randint(3, 50))).isoformat()
                        elif due < today and roll < 0.84:
                            state, outcome = "cancelled", "取消：活动调整"
                        stream.add(
                            f"{pk}\t{member}\t{plan.unit.district}\t{title}\t{description}\t{assigned}\t{due}"
                            f"\t{done}\t{state}\t{outcome}\t1\t{self.now_text}\n"
                        )
                        pk += 1
        self.db.reset_sequence(MemberTask._meta.db_table)

    # --- Dues ----------------------------------------------------------------------------

    def _income(self, income_class: str) -> Decimal:
        rng = self.rng
        if income_class == "minimal":
            return Decimal("0.00")
        if income_class == "retiree":
            return Decimal(rng.randrange(2600, 7800, 10))
        roll = rng.random()
        low, high = (
            (2200, 3000)
            if roll < 0.15
            else (3000, 5000)
            if roll < 0.5
            else (5000, 10000)
            if roll < 0.88
            else (10000, 22000)
        )
        return Decimal(rng.randrange(low, high, 10))

    def _income_class(self, kind: str, age: int, occupation: str, codes: list[str]) -> str:
        rng = self.rng
        if "laid_off" in codes and rng.random() < 0.6:
            return "minimal"
        if "in_hardship" in codes and rng.random() < 0.4:
            return "minimal"
        if age < 24 and rng.random() < 0.5:
            return "minimal"
        if kind == "retiree" or "enterprise_retiree" in codes or "退休" in occupation or age >= 62:
            return "retiree"
        return "in_work"

    def load_dues(self) -> None:
        from dangjian.members.models import DuesBase, DuesMonth, DuesPayment, DuesRelief, DuesRule, monthly_amount

        rng = self.rng
        rules = [
            DuesRule(income_class=row[0], upper_bound=row[1], rate_percent=row[2], fixed_amount=row[3])
            for row in self.db.conn.execute(
                f"SELECT income_class, upper_bound, rate_percent, fixed_amount FROM {DuesRule._meta.db_table}"
            )
        ]
        self.amounts: dict[tuple[str, Decimal], Decimal] = {}
        self.monthly_amount = lambda income_class, income: monthly_amount(income_class, income, rules)
        base_names = ["id", "member", "district", "year", "income_class", "monthly_income", "monthly_amount"]
        base_names += ["version", "updated_at"]
        payment_names = ["id", "member", "district", "kind", "method", "amount", "paid_on", "payer_name"]
        payment_names += ["receipt_number", "note", "created_at"]
        month_names = ["id", "member", "district", "month", "amount_due", "status", "payment", "relief", "version"]
        relief_names = ["id", "member", "district", "kind", "start_month", "end_month", "reason", "status"]
        relief_names += ["decided_at", "decision_note", "version", "created_at"]
        self.pks = {
            "base": self.db.next_id(DuesBase._meta.db_table),
            "payment": self.db.next_id(DuesPayment._meta.db_table),
            "month": self.db.next_id(DuesMonth._meta.db_table),
            "relief": self.db.next_id(DuesRelief._meta.db_table),
        }
        self.month_text = [month.isoformat() for month in self.months]
        # Who is behind: ~1% for six months or more (a fifth of the long absent among them),
        # ~5% for one to five recent months.
        ids = [row[0] for row in self.dues_members]
        six = {pk for pk in ids if pk in self.chronic and pk not in self.chronic_excused and rng.random() < 0.2}
        target = round(len(ids) * 0.01)
        while len(six) < target:
            six.add(rng.choice(ids))
        with self.db.streams(
            (DuesBase, base_names), (DuesPayment, payment_names), (DuesMonth, month_names), (DuesRelief, relief_names)
        ) as streams:
            self.dues_streams = streams
            for row in self.dues_members:
                self._member_dues(*row, behind_six=row[0] in six)
        for model in (DuesBase, DuesPayment, DuesMonth, DuesRelief):
            self.db.reset_sequence(model._meta.db_table)

    def _amount(self, income_class: str, income: Decimal) -> Decimal:
        key = (income_class, income)
        value = self.amounts.get(key)
        if value is None:
            value = self.amounts[key] = self.monthly_amount(income_class, income)
        return value

    def _member_dues(
        self,
        member: int,
        district: int,
        join_index: int,
        kind: str,
        age: int,
        occupation: str,
        codes: list[str],
        *,
        behind_six: bool,
    ) -> None:
        """One member's bases, reliefs, payments and monthly ledger."""
        rng, months, pks, now = self.rng, self.months, self.pks, self.now_text
        bases, _payments, ledger, reliefs = self.dues_streams
        current = len(months) - 1
        first = max(0, join_index)
        if first > current:
            return
        income_class = self._income_class(kind, age, occupation, codes)
        income = self._income(income_class)
        due_by_year: dict[int, Decimal] = {}
        for year in sorted({month.year for month in months[first:]}):
            # Last year's income a little lower, as pay rises.
            year_income = income if year == self.today.year else (income * Decimal("0.97")).quantize(Decimal("1"))
            due_by_year[year] = self._amount(income_class, year_income)
            bases.add(
                f"{pks['base']}\t{member}\t{district}\t{year}\t{income_class}\t{year_income}"
                f"\t{due_by_year[year]}\t1\t{now}\n"
            )
            pks["base"] += 1
        unpaid: set[int] = set()
        if kind == "lost":
            unpaid = set(range(first, current + 1))
        elif behind_six:
            start = max(0, self.window_first) - rng.choice((0, 0, 1, 2))
            unpaid = set(range(max(first, start), current + 1))
        elif rng.random() < 0.05:
            behind = rng.choices((1, 2, 3, 4, 5), weights=(40, 25, 15, 12, 8))[0]
            unpaid = set(range(max(first, current - behind), current))
        if rng.random() < 0.5:
            unpaid.add(current)  # this month's dues not yet collected
        relief, exempt = 0, range(0)
        if not unpaid - {current} and rng.random() < 0.003:
            start = rng.randint(first, current)
            exempt = range(start, min(current, start + rng.randint(3, 8)) + 1)
            relief = pks["relief"]
            pks["relief"] += 1
            decided = self.now - datetime.timedelta(days=rng.randint(20, 300))
            reliefs.add(
                f"{relief}\t{member}\t{district}\texemption\t{self.month_text[exempt.start]}"
                f"\t{self.month_text[exempt[-1]]}\t{rng.choice(EXCUSE_LONG)}，无固定收入\tapproved"
                f"\t{decided.isoformat()}\t\t2\t{now}\n"
            )
        # Paid months, a payment each or a quarter at a time, gathered until a gap.
        quarterly = rng.random() < 0.35
        paid: dict[int, int] = {}
        pending: list[int] = []
        for index in range(first, current + 1):
            if index in unpaid or index in exempt:
                if pending:
                    self._payment(member, district, pending, due_by_year, paid)
                    pending = []
                continue
            pending.append(index)
            if quarterly and months[index].month % 3 and index < current:
                continue
            self._payment(member, district, pending, due_by_year, paid)
            pending = []
        if pending:
            self._payment(member, district, pending, due_by_year, paid)
        for index in range(first, current + 1):
            head = f"{pks['month']}\t{member}\t{district}\t{self.month_text[index]}"
            if index in exempt:
                ledger.add(f"{head}\t0.00\texempt\t\\N\t{relief}\t1\n")
            elif index in paid:
                ledger.add(f"{head}\t{due_by_year[months[index].year]}\tpaid\t{paid[index]}\t\\N\t1\n")
            else:
                ledger.add(f"{head}\t{due_by_year[months[index].year]}\tdue\t\\N\t\\N\t1\n")
            pks["month"] += 1

    def _payment(
        self, member: int, district: int, covered: list[int], due_by_year: dict[int, Decimal], paid: dict[int, int]
    ) -> None:
        """One payment for `covered` (month indexes): in the first month, or now and then a
        month or two later (补缴); some paid by a family member (代缴)."""
        rng, months = self.rng, self.months
        current = len(months) - 1
        pk = self.pks["payment"]
        self.pks["payment"] += 1
        late = len(covered) == 1 and covered[0] < current and rng.random() < 0.06
        month = months[covered[0]]
        paid_month = month_add(month, rng.randint(1, 2)) if late else month
        paid_on = min(self.today, paid_month.replace(day=rng.randint(1, 25)))
        proxy = rng.random() < 0.08
        kind = "paid_by_proxy" if proxy else "paid_late" if late else "self"
        total = sum((due_by_year[months[index].year] for index in covered), Decimal("0.00"))
        payer = f"{self._name(rng.random() < 0.5)}（{rng.choice(FAMILY)}）" if proxy else ""
        method = rng.choices(("cash", "transfer", "online"), weights=(45, 20, 35))[0]
        self.dues_streams[1].add(
            f"{pk}\t{member}\t{district}\t{kind}\t{method}\t{total}\t{paid_on}\t{payer}"
            f"\tDF{paid_on.year}{pk:08d}\t\t{self.now_text}\n"
        )
        for index in covered:
            paid[index] = pk

    # --- Accounts ------------------------------------------------------------------------

    def load_users(self) -> None:
        from django.contrib.auth.hashers import make_password

        from dangjian.core.models import Grant, User

        password = make_password(PASSWORD)
        units = {"district": self.districts[0], "subdistrict": self.subdistricts[0], "community": self.communities[0]}
        user_table, grant_table = User._meta.db_table, Grant._meta.db_table
        user_names = ["password", "is_superuser", "username", "first_name", "last_name", "email", "is_staff"]
        user_columns = columns_of(User, [*user_names, "is_active", "date_joined", "full_name"])
        grant_columns = columns_of(Grant, ["user", "role", "org_unit", "district", "is_active", "created_at"])
        with self.db.conn.transaction():
            for username, full_name, role, unit_key, staff in BENCH_USERS:
                unit = units[unit_key]
                user_pk = self.db.conn.execute(
                    f"INSERT INTO {user_table} ({', '.join(user_columns)}) "
                    "VALUES (%s, false, %s, '', '', '', %s, true, %s, %s) RETURNING id",
                    [password, username, staff, self.now, full_name],
                ).fetchone()[0]
                self.db.conn.execute(
                    f"INSERT INTO {grant_table} ({', '.join(grant_columns)}) VALUES (%s, %s, %s, %s, true, %s)",
                    [user_pk, role, unit.pk, unit.district, self.now],
                )
        self.db.counts[user_table] = len(BENCH_USERS)
        self.db.counts[grant_table] = len(BENCH_USERS)


# --- The load ----------------------------------------------------------------------------------


def _big_tables() -> list[str]:
    from dangjian.members.models import DuesBase, DuesMonth, DuesPayment, Member
    from dangjian.orglife.models import Attendance, Meeting, MemberTask

    models = [Member, Member.categories.through, Meeting, Attendance, MemberTask, DuesBase, DuesPayment, DuesMonth]
    return [model._meta.db_table for model in models]


def _key_check() -> str:
    """A blind index of a fixed value: the app reading this data must give the same one (it
    uses the same keys), or no ID number will decrypt."""
    from dangjian.core.crypto import blind_index

    return blind_index("bench-key-check")


def generate(scale: Scale | str, database_url: str | None = None, *, force: bool = False) -> dict[str, Any]:
    """Load `scale` into `database_url` (default `dangjian_bench_<scale>`) and return what was
    loaded: rows and seconds per table. When `bench_scale` already records this scale, return
    its record at once; `force` drops and recreates the database first."""
    if isinstance(scale, str):
        scale = get_scale(scale)
    database_url = database_url or default_database_url(scale)
    _check_name(database_url)
    started = time.perf_counter()
    if force:
        drop_database(database_url)
    else:
        counts = loaded_counts(database_url, scale.name)
        if counts is not None:
            setup_django(database_url)
            if counts.get("key_check") == _key_check():
                return {**counts, "already_loaded": True}
        # A database without a finished load (a run stopped half way), or one loaded under other
        # field keys (its numbers would not decrypt), is rebuilt.
        drop_database(database_url)
    setup_django(database_url)
    create_database(database_url)
    seconds: dict[str, float] = {}
    step = time.perf_counter()
    migrate(database_url)
    seconds["migrate"] = round(time.perf_counter() - step, 2)

    db = Database(database_url)
    try:
        db.seconds.update(seconds)
        generator = Generator(scale, db)
        with db.timed("drop indexes"):
            for table in _big_tables():
                db.drop_secondary(table)
        with db.timed("org tree: core_orgunit"):
            generator.plan_tree()
            generator.load_tree()
        with db.timed("members: member, categories, mobility, contacts"):
            generator.load_members()
            generator.load_contacts()
        with db.timed("committees: branchcommittee, committeeseat"):
            generator.load_committees()
        with db.timed("orglife: meeting + attendance (two streams)"):
            generator.choose_chronic()
            generator.load_orglife()
        with db.timed("tasks: membertask"):
            generator.load_tasks()
        with db.timed("dues: base, payment, month, relief (streams)"):
            generator.load_dues()
        with db.timed("users: user, grant"):
            generator.load_users()
        with db.timed("rebuild indexes"):
            db.restore_secondary()
        with db.timed("vacuum, analyze"):
            # As autovacuum leaves a table in service: statistics, and the visibility map that
            # lets an index-only scan skip the table.
            db.conn.execute("VACUUM (ANALYZE)")
            # The planner costs of a server whose data sits in memory or on SSD, as docs/running.md
            # recommends for production (the default 4 assumes spinning disks and prefers
            # sequential scans of the whole member table to index lookups per branch).
            db.conn.execute(
                psycopg.sql.SQL("ALTER DATABASE {} SET random_page_cost = 1.1").format(
                    psycopg.sql.Identifier(database_name(database_url))
                )
            )
        total = round(time.perf_counter() - started, 2)
        counts = {
            "scale": asdict(scale),
            "seed": generator.seed,
            "today": generator.today.isoformat(),
            "tables": dict(sorted(db.counts.items())),
            "seconds": db.seconds,
            "stages": list(db.seconds),
            "total_seconds": total,
            "users": [username for username, *_ in BENCH_USERS],
            "password": PASSWORD,
            "key_check": _key_check(),
        }
        db.conn.execute(
            "CREATE TABLE IF NOT EXISTS bench_scale (name text PRIMARY KEY, loaded_at timestamptz, counts jsonb)"
        )
        db.conn.execute(
            "INSERT INTO bench_scale (name, loaded_at, counts) VALUES (%s, now(), %s) "
            "ON CONFLICT (name) DO UPDATE SET loaded_at = EXCLUDED.loaded_at, counts = EXCLUDED.counts",
            [scale.name, json.dumps(counts, ensure_ascii=False)],
        )
    finally:
        db.close()
    return {**counts, "already_loaded": False}


def report(result: dict[str, Any]) -> str:
    lines = [
        f"scale {result['scale']['name']} (today {result['today']})"
        + (" — already loaded" if result.get("already_loaded") else "")
    ]
    lines.append("rows:")
    lines += [f"  {table:<50} {rows:>12,}" for table, rows in sorted(result["tables"].items())]
    lines.append("seconds:")
    # In the order they ran (a record read back from jsonb has its keys reordered).
    stages = result.get("stages") or list(result["seconds"])
    lines += [f"  {stage:<50} {result['seconds'][stage]:>12.1f}" for stage in stages]
    lines.append(f"  {'total':<50} {result['total_seconds']:>12.1f}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Load a benchmark data set into PostgreSQL.")
    parser.add_argument("--scale", required=True, help="XS, S or city")
    parser.add_argument(
        "--database-url", default=None, help="default: postgres://postgres@127.0.0.1:5432/dangjian_bench_<scale>"
    )
    parser.add_argument("--force", action="store_true", help="drop and recreate the database first")
    args = parser.parse_args(argv)
    scale = get_scale(args.scale)
    url = args.database_url or default_database_url(scale)
    result = generate(scale, url, force=args.force)
    print(report(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
