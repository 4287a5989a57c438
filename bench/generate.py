"""A synthetic district for the benchmarks, bulk-loaded into PostgreSQL with COPY.

At scale 1 it holds 3 권역, 12 dongs, 60 agencies, 600 staff, 20,000 clients in 8,000 households,
8,000 cases at every stage, 100,000 monitoring entries (상담일지), 5,000 referrals, 120 conferences
with minutes, consents for every client and 2,000,000 hash-chained access-log rows. The geography and
the 60 agencies stay fixed at every scale (a district keeps its network); everything else scales.

The schema comes from the migrations, encrypted columns are encrypted with ``hamkke.crypto`` and the
access log is chained with ``consents.access_log.row_hash_of``, so ``hamkke consents verify-log`` passes.
Names, addresses and numbers are invented (a fixed seed makes every run the same district).

Run on its own: ``python -m bench.generate postgresql+psycopg://… --scale 0.1``.
"""

from __future__ import annotations

import argparse
import enum
import hashlib
import json
import os
import random
import secrets
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from hamkke.korean import with_particle

#: e-mail addresses of the accounts benchmarks sign in as (looked up with :func:`load_manifest`)
COORDINATOR_EMAIL = "bench.coordinator@hannuri.go.kr"
WORKER_EMAIL = "bench.worker@hannuri-welfare.or.kr"
DONG_WORKER_EMAIL = "bench.dong@hannuri.go.kr"
DISTRICT_CODE = "hannuri"
SEED = 20261130
#: the fixed "now" of the generated history; rows lie before it, open consents around it
HISTORY_YEARS = 2


@dataclass(frozen=True)
class Counts:
    """How many rows of each kind a scale produces."""

    regions: int
    dongs: int
    agencies: int
    staff: int
    clients: int
    cases: int
    monitoring: int
    referrals: int
    conferences: int
    access_log: int

    @classmethod
    def for_scale(cls, scale: float) -> Counts:
        """Counts at ``scale`` (1.0 is the district the issue describes)."""

        def scaled(full: int, floor: int) -> int:
            return max(floor, round(full * scale))

        return cls(
            regions=3,
            dongs=12,
            agencies=60,
            # At least two people per agency, so every agency has a case worker and an administrator.
            staff=scaled(600, 120),
            clients=scaled(20_000, 50),
            cases=scaled(8_000, 20),
            monitoring=scaled(100_000, 100),
            referrals=scaled(5_000, 10),
            conferences=scaled(120, 6),
            access_log=scaled(2_000_000, 500),
        )


@dataclass
class Manifest:
    """Ids the benchmarks need: who to sign in as, and which records to open."""

    district_id: int
    coordinator_id: int
    coordinator_agency_id: int
    worker_id: int
    worker_agency_id: int
    dong_worker_id: int
    dong_agency_id: int
    #: a case of the worker's agency (the case page opens it)
    worker_case_id: int
    #: a live conference the worker has checked in to and pledged for
    live_conference_id: int
    #: conferences with status ``live`` and every person checked in to each (for the live benchmark)
    live_conferences: dict[int, list[int]] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0


# --- synthetic Korean text -----------------------------------------------------------------------

SURNAMES = (
    "김이박최정강조윤장임한오서신권황안송류전홍고문양손배백허유남심노하곽성차주우구민"
    "진나지엄채원천방공현함변염여추도소석선설마길연위표명기반왕금옥육인맹제모남궁탁국"
    "어은편용예경봉사부가복태목형계피두감음빈동온호범좌팽승간상갈단견당"
)
GIVEN = "민서지현준우예은하도윤수아건영진성혜경미정숙자희철호동석재훈태선주연보람슬기나래다은시우채원유진소율"
DONG_NAMES = (
    ("north", "북부권역", ("한누리1동", "한누리2동", "솔빛동", "새터동")),
    ("central", "중부권역", ("가온동", "누리동", "바른동", "햇살동")),
    ("south", "남부권역", ("너른동", "푸른동", "미리내동", "다솜동")),
)
STREETS = (
    "한누리로",
    "솔빛로",
    "가온길",
    "누리로",
    "햇살로",
    "너른길",
    "미리내로",
    "다솜길",
    "바른로",
    "새터길",
)
NEED_TEXTS = {
    "economy": ("월세 3개월 체납, 공과금 독촉장", "생계비 지원이 필요함", "생활비 부족으로 식사를 거름"),
    "housing": ("반지하 곰팡이와 누수", "보증금 없이 이사할 곳을 찾아야 함", "난방이 되지 않음"),
    "medical": ("당뇨 관리가 되지 않음", "병원비 부담으로 치료 중단", "무릎 수술 후 재활 필요"),
    "mental_health": ("우울감과 불면을 호소", "알코올 문제로 가족 갈등", "고립감이 심함"),
    "family": ("자녀 양육 부담", "가족 간 연락 단절", "배우자와의 갈등"),
    "vocational": ("일자리를 구하지 못함", "자활근로 참여 희망", "직업훈련 필요"),
    "social": ("이웃과 교류가 없음", "외출을 거의 하지 않음", "지지체계 부족"),
}
AGENCY_KINDS: tuple[tuple[str, str, str, int], ...] = (
    # type, sector, name pattern, how many
    ("community_welfare_centre", "private", "{area}종합사회복지관", 6),
    ("elderly_welfare_centre", "private", "{area}노인복지관", 4),
    ("disability_welfare_centre", "private", "{area}장애인복지관", 3),
    ("self_sufficiency_centre", "private", "{area}지역자활센터", 2),
    ("mental_health_centre", "public", "한누리구정신건강복지센터", 1),
    ("child_protection_agency", "private", "한누리아동보호전문기관", 1),
    ("dream_start", "public", "한누리구 드림스타트", 1),
    ("family_centre", "private", "{area}가족센터", 2),
    ("dementia_centre", "public", "한누리구치매안심센터", 1),
    ("youth_counselling_centre", "public", "{area}청소년상담복지센터", 2),
    ("school", "public", "{area}초등학교", 6),
    ("police", "public", "한누리{area}경찰서", 2),
    ("legal_aid", "private", "{area}법률구조센터", 2),
    ("medical", "private", "{area}의료원", 4),
    ("other", "private", "{area}지역아동센터", 10),
)
SERVICE_CATEGORIES = ("경제", "주거", "건강", "돌봄", "정신건강", "고용", "교육", "법률")
STAGE_WEIGHTS = (
    ("intake_pending", 5),
    ("initial_counselling", 8),
    ("assessment", 8),
    ("selection", 7),
    ("planning", 8),
    ("delivery", 30),
    ("closure_review", 5),
    ("follow_up", 9),
    ("closed", 15),
    ("not_selected", 5),
)
STAGE_ORDER = [stage for stage, _weight in STAGE_WEIGHTS[:-1]]
#: stages whose cases receive monitoring entries
MONITORED = frozenset({"delivery", "closure_review", "follow_up", "closed"})
REFERRAL_WEIGHTS = (
    ("requested", 15),
    ("received", 10),
    ("accepted", 15),
    ("in-progress", 20),
    ("completed", 25),
    ("rejected", 8),
    ("cancelled", 5),
    ("draft", 2),
)
SHAREABLE_GROUPS = ("basic", "household", "economic", "family", "needs", "crisis", "service_history")


class Text:
    """Invented Korean names, phone numbers and addresses from one random source."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def name(self) -> str:
        """A Korean full name."""
        return self.rng.choice(SURNAMES) + "".join(self.rng.choices(GIVEN, k=2))

    def phone(self) -> str:
        """A mobile number in the 010 range."""
        return f"010-{self.rng.randint(2000, 9999)}-{self.rng.randint(1000, 9999)}"

    def address(self, dong: str) -> str:
        """A street address in the district."""
        rng = self.rng
        return (
            f"서울특별시 한누리구 {rng.choice(STREETS)} {rng.randint(1, 240)}"
            f"{'' if rng.random() < 0.5 else f'길 {rng.randint(1, 60)}'}, "
            f"{rng.randint(101, 120)}동 {rng.randint(1, 25)}{rng.randint(1, 8):02d}호 ({dong})"
        )

    def rrn(self, birth: date, sex: str) -> str:
        """An invented 주민등록번호 consistent with birth date and sex (not a real number)."""
        century = 3 if birth.year >= 2000 else 1
        digit = century + (0 if sex == "남" else 1)
        return f"{birth:%y%m%d}-{digit}{self.rng.randint(0, 999_999):06d}"


# --- writing rows with COPY ------------------------------------------------------------------------


def _plain_url(database_url: str) -> str:
    return sa.make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)


def _copy_value(value: Any) -> Any:
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return value


def _constant(value: Any) -> Callable[[], Any]:
    return lambda: value


def _called(function: Callable[[Any], Any]) -> Callable[[], Any]:
    return lambda: function(None)


class Loader:
    """Writes rows with COPY; fills the Python-side defaults the ORM would have filled."""

    def __init__(self, connection: Any, metadata: sa.MetaData) -> None:
        self.connection = connection
        self.metadata = metadata
        self.written: dict[str, int] = {}

    def _defaults(self, table: sa.Table, given: Sequence[str]) -> dict[str, Callable[[], Any]]:
        fillers: dict[str, Callable[[], Any]] = {}
        for column in table.columns:
            if column.name in given or column.default is None or column.server_default is not None:
                continue
            default = column.default
            if getattr(default, "is_scalar", False):
                fillers[column.name] = _constant(default.arg)  # type: ignore[attr-defined]
            elif getattr(default, "is_callable", False):
                # SQLAlchemy wraps a default callable to take the execution context; the ORM's
                # defaults here (now_utc, dict, list) ignore it.
                fillers[column.name] = _called(default.arg)  # type: ignore[attr-defined]
        return fillers

    def copy(self, table_name: str, rows: Iterable[dict[str, Any]]) -> int:
        """COPY dictionaries into a table; columns are those of the first row plus ORM defaults."""
        table = self.metadata.tables[table_name]
        iterator = iter(rows)
        first = next(iterator, None)
        if first is None:
            return 0
        given = list(first)
        fillers = self._defaults(table, given)
        columns = given + list(fillers)
        count = 0
        names = ", ".join(f'"{name}"' for name in columns)
        with (
            self.connection.cursor() as cursor,
            cursor.copy(f'COPY "{table_name}" ({names}) FROM STDIN') as copy,
        ):
            for row in _chain_one(first, iterator):
                values = [_copy_value(row[name]) for name in given]
                values.extend(_copy_value(filler()) for filler in fillers.values())
                copy.write_row(values)
                count += 1
        self.written[table_name] = self.written.get(table_name, 0) + count
        return count

    def copy_tuples(self, table_name: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
        """COPY ready tuples (the fast path for millions of rows)."""
        names = ", ".join(f'"{name}"' for name in columns)
        count = 0
        with (
            self.connection.cursor() as cursor,
            cursor.copy(f'COPY "{table_name}" ({names}) FROM STDIN') as copy,
        ):
            for row in rows:
                copy.write_row(row)
                count += 1
        self.written[table_name] = self.written.get(table_name, 0) + count
        return count


def _chain_one(first: dict[str, Any], rest: Iterator[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    yield first
    yield from rest


class Ids:
    """Explicit primary keys per table (so foreign keys are known before anything is written)."""

    def __init__(self) -> None:
        self._next: dict[str, int] = {}

    def __call__(self, table: str) -> int:
        value = self._next.get(table, 0) + 1
        self._next[table] = value
        return value

    def used(self) -> dict[str, int]:
        """The highest id given out per table."""
        return dict(self._next)


# --- the schema --------------------------------------------------------------------------------------


def app_config(
    database_url: str, *, secret_key: str, field_encryption_key: str, redis_url: str | None
) -> dict[str, Any]:
    """Configuration of an in-process app over the benchmark database (schema, sessions, the gate)."""
    return {
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SECRET_KEY": secret_key,
        "FIELD_ENCRYPTION_KEY": field_encryption_key,
        "REDIS_URL": redis_url,
        "BROKER_URL": redis_url or "filesystem://",
        "SOCKETIO_MESSAGE_QUEUE": "",
        "RATELIMIT_STORAGE_URI": "memory://",
        "SERVER_NAME": "localhost",
        "BASE_URL": "http://localhost",
    }


def upgrade_schema(app: Any) -> None:
    """Create the schema with the project's migrations, as the app's deployments do."""
    from flask_migrate import upgrade

    from hamkke.config import REPO_ROOT

    with app.app_context():
        upgrade(directory=str(REPO_ROOT / "migrations"))


# --- the district ------------------------------------------------------------------------------------


def _weighted(rng: random.Random, weights: Sequence[tuple[str, int]]) -> str:
    return rng.choices([name for name, _ in weights], weights=[weight for _, weight in weights])[0]


class DistrictBuilder:
    """Builds every table's rows in memory-light batches and COPYs them."""

    def __init__(self, loader: Loader, counts: Counts, *, key: str, now: datetime, seed: int = SEED) -> None:
        self.load = loader
        self.counts = counts
        self.key = key
        self.now = now
        self.today = now.date()
        self.rng = random.Random(seed)
        self.text = Text(self.rng)
        self.ids = Ids()
        self.staff_by_agency: dict[int, list[int]] = {}
        self.workers_by_agency: dict[int, list[int]] = {}
        self.supervisor_of: dict[int, int] = {}
        self.agency_sector: dict[int, str] = {}
        self.agency_type: dict[int, str] = {}
        self.agency_name: dict[int, str] = {}
        self.agency_of_person: dict[int, int] = {}
        self.dong_centre: dict[int, int] = {}
        self.dong_name: dict[int, str] = {}
        self.dong_region: dict[int, int] = {}
        self.services_by_agency: dict[int, list[tuple[int, str, str]]] = {}

    def at(self, days_ago: float) -> datetime:
        """An instant ``days_ago`` before the generated "now"."""
        return self.now - timedelta(days=days_ago)

    # -- network ----------------------------------------------------------------------------------

    def network(self) -> dict[str, int]:
        """District, 권역, dongs, the identity provider, 60 agencies with services, and the staff."""
        from consents.policy import notice_hash  # noqa: F401  (imported so a broken consents import fails early)
        from hamkke.crypto import encrypt_text

        load, ids, rng, _now = self.load, self.ids, self.rng, self.now
        district_id = ids("districts")
        load.copy(
            "districts", [{"id": district_id, "code": DISTRICT_CODE, "name": "한누리구", "settings": {}}]
        )
        regions: list[dict[str, Any]] = []
        dongs: list[dict[str, Any]] = []
        for position, (code, name, dong_names) in enumerate(DONG_NAMES):
            region_id = ids("regions")
            regions.append(
                {
                    "id": region_id,
                    "district_id": district_id,
                    "code": f"{DISTRICT_CODE}-{code}",
                    "name": name,
                    "position": position,
                }
            )
            for dong_position, dong_name in enumerate(dong_names):
                dong_id = ids("dongs")
                self.dong_name[dong_id] = dong_name
                self.dong_region[dong_id] = region_id
                dongs.append(
                    {
                        "id": dong_id,
                        "district_id": district_id,
                        "region_id": region_id,
                        "code": f"{DISTRICT_CODE}-{code}-{dong_position + 1}",
                        "name": dong_name,
                        "position": dong_position,
                    }
                )
        load.copy("regions", regions)
        load.copy("dongs", dongs)
        provider_id = ids("identity_providers")
        load.copy(
            "identity_providers",
            [
                {
                    "id": provider_id,
                    "name": "한누리구 통합 계정 (벤치마크)",
                    "issuer": "https://idp.hannuri.bench.invalid",
                    "client_id": "hamkke-bench",
                    "client_secret_encrypted": encrypt_text(secrets.token_urlsafe(32), key_material=self.key),
                    "allowed_email_domains": [],
                    "claim_rule": {},
                    "is_active": True,
                    "district_id": district_id,
                }
            ],
        )
        agencies: list[dict[str, Any]] = []
        agency_regions: list[dict[str, Any]] = []
        agency_dongs: list[dict[str, Any]] = []
        region_ids = [region["id"] for region in regions]
        accepted = self.at(400)

        def agency(
            code: str, name: str, kind: str, sector: str, dong_id: int | None, served: list[int]
        ) -> int:
            agency_id = ids("agencies")
            self.agency_sector[agency_id] = sector
            self.agency_type[agency_id] = kind
            self.agency_name[agency_id] = name
            street = rng.choice(STREETS)
            agencies.append(
                {
                    "id": agency_id,
                    "district_id": district_id,
                    "code": code,
                    "name": name,
                    "type": kind,
                    "sector": sector,
                    "status": "active",
                    "dong_id": dong_id,
                    "phone": f"02-{rng.randint(200, 999)}-{rng.randint(1000, 9999)}",
                    "email": f"contact@{code}.hannuri.bench.invalid",
                    "address": f"서울특별시 한누리구 {street} {rng.randint(1, 200)}",
                    "website": None,
                    "description": with_particle(name, "은")
                    + " 한누리구 통합사례관리 네트워크의 회원 기관입니다.",
                    "identity_provider_id": provider_id,
                    "agreement_version": "2026-11",
                    "agreement_accepted_at": accepted,
                    "agreement_accepted_by_id": None,
                    "created_at": accepted,
                    "updated_at": accepted,
                }
            )
            for region_id in served:
                agency_regions.append({"agency_id": agency_id, "region_id": region_id})
            return agency_id

        team = agency(
            f"{DISTRICT_CODE}-team", "한누리구 희망복지지원단", "district_team", "public", None, region_ids
        )
        for dong_id, dong_name in self.dong_name.items():
            centre = agency(
                f"{DISTRICT_CODE}-dong-{dong_id}",
                f"{dong_name} 행정복지센터",
                "dong_centre",
                "public",
                dong_id,
                [self.dong_region[dong_id]],
            )
            self.dong_centre[dong_id] = centre
            agency_dongs.append({"agency_id": centre, "dong_id": dong_id})
        area_names = [
            "한누리",
            "솔빛",
            "가온",
            "누리",
            "햇살",
            "너른",
            "푸른",
            "미리내",
            "다솜",
            "새터",
            "바른",
        ]
        number = 0
        for kind, sector, pattern, how_many in AGENCY_KINDS:
            for index in range(how_many):
                number += 1
                area = area_names[(number + index) % len(area_names)]
                name = pattern.format(area=area)
                if how_many > 1 and "{area}" not in pattern:
                    name = f"{name} {index + 1}"
                served = region_ids if rng.random() < 0.4 else [region_ids[number % len(region_ids)]]
                agency(f"{DISTRICT_CODE}-{kind}-{index + 1}", name, kind, sector, None, served)
        assert len(agencies) == self.counts.agencies, len(agencies)
        load.copy("agencies", agencies)
        load.copy("agency_regions", agency_regions)
        load.copy("agency_dongs", agency_dongs)
        services: list[dict[str, Any]] = []
        for row in agencies:
            offered = []
            for _ in range(rng.randint(2, 5)):
                category = rng.choice(SERVICE_CATEGORIES)
                service_id = ids("services")
                service_name = (
                    f"{category} 지원 {rng.choice(('상담', '연계', '방문', '프로그램', '긴급지원'))}"
                )
                offered.append((service_id, service_name, category))
                services.append(
                    {
                        "id": service_id,
                        "agency_id": row["id"],
                        "name": service_name,
                        "category": category,
                        "description": f"{row['name']}의 {service_name}",
                        "eligibility": rng.choice(
                            ("기초생활수급자·차상위", "한누리구 주민", "만 65세 이상", "위기가구")
                        ),
                        "capacity": rng.choice((None, 10, 20, 40)),
                        "contact": row["phone"],
                        "area": "전 구",
                        "is_active": True,
                    }
                )
            self.services_by_agency[row["id"]] = offered
        load.copy("services", services)
        self._staff(team, [row["id"] for row in agencies])
        return {"district_id": district_id, "team_id": team}

    def _staff(self, team: int, agency_ids: list[int]) -> None:
        rng, ids, counts = self.rng, self.ids, self.counts
        # Dong centres and the district team carry most of the staff, as in a real district.
        weights = [
            6.0
            if agency_id == team
            else 3.5
            if self.agency_type[agency_id] == "dong_centre"
            else 1.8
            if self.agency_type[agency_id] == "community_welfare_centre"
            else 1.0
            for agency_id in agency_ids
        ]
        sizes = [2] * len(agency_ids)
        for _ in range(counts.staff - sum(sizes)):
            sizes[rng.choices(range(len(agency_ids)), weights=weights)[0]] += 1
        people, memberships, roles = [], [], []
        granted = self.at(380)
        special = {
            team: COORDINATOR_EMAIL,
            next(a for a in agency_ids if self.agency_type[a] == "community_welfare_centre"): WORKER_EMAIL,
            next(a for a in agency_ids if self.agency_type[a] == "dong_centre"): DONG_WORKER_EMAIL,
        }
        for agency_id, size in zip(agency_ids, sizes, strict=True):
            staff: list[int] = []
            for index in range(size):
                person_id = ids("people")
                staff.append(person_id)
                self.agency_of_person[person_id] = agency_id
                email = (
                    special[agency_id]
                    if index == 0 and agency_id in special
                    else f"staff{person_id}@{DISTRICT_CODE}.bench.invalid"
                )
                people.append(
                    {
                        "id": person_id,
                        "name": self.text.name(),
                        "email": email,
                        "phone": f"02-{rng.randint(200, 999)}-{rng.randint(1000, 9999)}",
                        "is_active": True,
                        "is_break_glass": False,
                        "failed_sign_ins": 0,
                        "session_version": 1,
                        "created_at": granted,
                        "updated_at": granted,
                    }
                )
                membership_id = ids("memberships")
                memberships.append(
                    {
                        "id": membership_id,
                        "person_id": person_id,
                        "agency_id": agency_id,
                        "status": "active",
                        "title": "사례관리자" if index else "팀장",
                        "created_at": granted,
                        "updated_at": granted,
                    }
                )
                granted_roles = ["case_worker"]
                if index == 1:
                    granted_roles = ["agency_admin", "supervisor"]
                    self.supervisor_of[agency_id] = person_id
                if agency_id == team and index in (0, 2):
                    granted_roles.append("coordinator")
                if agency_id == team and index == 3:
                    granted_roles = ["auditor"]
                for role in granted_roles:
                    roles.append(
                        {
                            "id": ids("membership_roles"),
                            "membership_id": membership_id,
                            "role": role,
                            "granted_at": granted,
                            "granted_by_id": None,
                        }
                    )
            self.staff_by_agency[agency_id] = staff
            self.workers_by_agency[agency_id] = [p for i, p in enumerate(staff) if i != 1] or staff
        self.load.copy("people", people)
        self.load.copy("memberships", memberships)
        self.load.copy("membership_roles", roles)

    # -- clients and cases ---------------------------------------------------------------------------

    def case_owners(self) -> list[int]:
        """Agencies that open cases, weighted: dong centres and welfare centres open most."""
        owners: list[int] = []
        for agency_id, kind in self.agency_type.items():
            weight = {"dong_centre": 10, "community_welfare_centre": 8, "district_team": 6}.get(kind, 1)
            if kind in {"school", "police", "medical", "legal_aid"}:
                weight = 0
            owners.extend([agency_id] * weight)
        return owners

    def cases(self) -> dict[str, Any]:
        """Households, clients (with encrypted 주민등록번호 at public agencies), cases and their records."""
        from hamkke.crypto import encrypt_text

        rng, ids, text, counts = self.rng, self.ids, self.text, self.counts
        owners = self.case_owners()
        dong_ids = list(self.dong_name)
        stages = [_weighted(rng, STAGE_WEIGHTS) for _ in range(counts.cases)]
        # Members per household so that the total is exactly ``clients``.
        members = [1] * counts.cases
        for _ in range(max(0, counts.clients - counts.cases)):
            members[rng.randrange(counts.cases)] += 1
        households, clients, cases, events, intakes, needs, ratings, selections = (
            [],
            [],
            [],
            [],
            [],
            [],
            [],
            [],
        )
        plans, goals, plan_services = [], [], []
        self.case_rows: list[dict[str, Any]] = []
        self.client_owner: dict[int, int] = {}
        self.case_clients: dict[int, list[int]] = {}
        for case_index in range(counts.cases):
            stage = stages[case_index]
            owner = rng.choice(owners)
            if case_index < 2:
                # The benchmark worker's agency always has cases, even in the tiniest district.
                owner = next(a for a, kind in self.agency_type.items() if kind == "community_welfare_centre")
            if self.agency_type[owner] == "dong_centre":
                dong_id = next(d for d, centre in self.dong_centre.items() if centre == owner)
            else:
                dong_id = rng.choice(dong_ids)
            opened_days = (
                rng.uniform(5, 700)
                if stage not in {"intake_pending", "initial_counselling"}
                else rng.uniform(0, 40)
            )
            opened_on = self.today - timedelta(days=int(opened_days))
            created = self.at(opened_days)
            household_id = ids("households")
            households.append(
                {
                    "id": household_id,
                    "owning_agency_id": owner,
                    "dong_id": dong_id,
                    "household_type": rng.choice(
                        ("경제적 어려움", "독거노인", "한부모", "장애인 가구", "조손가구")
                    ),
                    "composition": rng.choice(("단독", "부부", "한부모+자녀", "부부+자녀", "조손")),
                    "characteristics": rng.sample(
                        ["수급", "차상위", "장애", "고령", "질환", "채무", "실직"], k=rng.randint(1, 4)
                    ),
                    "main_client_reason": "가구의 위기 상황을 가장 잘 설명하고 변화 의지가 있음",
                    "is_deleted": False,
                    "created_at": created,
                    "updated_at": created,
                }
            )
            household_clients: list[int] = []
            address = text.address(self.dong_name[dong_id])
            public = self.agency_sector[owner] == "public"
            for member in range(members[case_index]):
                client_id = ids("clients")
                household_clients.append(client_id)
                self.client_owner[client_id] = owner
                sex = rng.choice(("남", "여"))
                age = rng.randint(25, 88) if member == 0 else rng.randint(3, 80)
                birth = date(self.today.year - age, rng.randint(1, 12), rng.randint(1, 28))
                rrn = text.rrn(birth, sex) if public and rng.random() < 0.8 else None
                clients.append(
                    {
                        "id": client_id,
                        "household_id": household_id,
                        "owning_agency_id": owner,
                        "name": text.name(),
                        "sex": sex,
                        "birth_date": birth,
                        "phone": text.phone(),
                        "address": address,
                        "emergency_contact": f"{text.name()} (자녀) {text.phone()}",
                        "rrn_encrypted": encrypt_text(rrn, key_material=self.key) if rrn else None,
                        "rrn_legal_basis": "사회보장급여의 이용·제공 및 수급권자 발굴에 관한 법률 제37조"
                        if rrn
                        else None,
                        "relationship_to_head": "본인"
                        if member == 0
                        else rng.choice(("배우자", "자녀", "손자녀", "부모")),
                        "lives_together": True,
                        "is_main_client": member == 0,
                        "benefit_category": rng.choice(
                            ("생계급여 수급자", "의료급여 수급자", "차상위", "일반", "주거급여 수급자")
                        ),
                        "monthly_income": rng.randint(0, 250),
                        "debt_amount": rng.choice((0, 0, 300, 1200, 4500)),
                        "debt_reason": rng.choice((None, "생활비 대출", "의료비", "사업 실패")),
                        "housing": rng.choice(("월세", "전세", "영구임대", "자가", "고시원")),
                        "physical_health": rng.choice((None, "고혈압", "당뇨", "관절염", "만성 폐질환")),
                        "mental_health": rng.choice((None, None, "우울", "알코올 의존 의심")),
                        "disability": rng.choice((None, None, None, "지체장애(심하지 않음)", "시각장애")),
                        "addiction": None,
                        "family_relations": "자녀와 연락이 드묾" if member == 0 else None,
                        "is_deleted": False,
                        "created_at": created,
                        "updated_at": created,
                    }
                )
            case_id = ids("cases")
            self.case_clients[case_id] = household_clients
            worker = (
                self.staff_by_agency[owner][0]
                if case_index < 2
                else rng.choice(self.workers_by_agency[owner])
            )
            reached = STAGE_ORDER.index(stage) if stage in STAGE_ORDER else STAGE_ORDER.index("selection")

            def milestone(step: str, reached: int = reached, opened_days: float = opened_days) -> date | None:
                index = STAGE_ORDER.index(step)
                if reached < index:
                    return None
                return self.today - timedelta(days=int(opened_days * (1 - index / (len(STAGE_ORDER) + 1))))

            lead = owner if rng.random() < 0.7 else rng.choice(owners)
            case = {
                "id": case_id,
                "household_id": household_id,
                "main_client_id": household_clients[0],
                "owning_agency_id": owner,
                "lead_agency_id": lead if reached >= STAGE_ORDER.index("planning") else None,
                "case_worker_id": worker,
                "dong_id": dong_id,
                "stage": stage,
                "case_type": rng.choice(("general", "general", "integrated", "crisis")),
                "intensity": rng.choice(("simple", "intensive", "intensive", "crisis")),
                "opened_on": opened_on,
                "referred_on": None,
                "intake_route": rng.choice(
                    ("self_request", "local_government", "internal", "other_agency", "outreach")
                ),
                "referrer": rng.choice(("통장", "이웃", "본인", "동 주민센터", "학교")),
                "counselling_started_on": milestone("initial_counselling"),
                "assessed_on": milestone("assessment"),
                "selected_on": milestone("selection"),
                "plan_agreed_on": milestone("delivery"),
                "closed_on": self.today - timedelta(days=rng.randint(1, 200))
                if stage in {"closed", "not_selected"}
                else None,
                "conference_on": None,
                "classified_on": milestone("selection"),
                "is_life_safety": rng.random() < 0.05,
                "purged_at": None,
                "is_deleted": False,
                "deleted_at": None,
                "created_at": created,
                "updated_at": created,
            }
            cases.append(case)
            self.case_rows.append(case)
            previous = None
            for step in STAGE_ORDER[: reached + 1]:
                events.append(
                    {
                        "id": ids("case_events"),
                        "case_id": case_id,
                        "at": self.at(opened_days * (1 - STAGE_ORDER.index(step) / (len(STAGE_ORDER) + 1))),
                        "actor_id": worker,
                        "agency_id": owner,
                        # The first event opens the case; later ones are stage transitions.
                        "kind": "transition" if previous else "opened",
                        "action": step if previous else None,
                        "from_stage": previous,
                        "to_stage": step,
                        "note": None,
                    }
                )
                previous = step
            if reached >= 1:
                intakes.append(
                    {
                        "id": ids("case_intake_records"),
                        "case_id": case_id,
                        "counselled_on": case["counselling_started_on"],
                        "method": rng.choice(("home_visit", "office_visit", "phone")),
                        "counsellor_id": worker,
                        "main_complaint": rng.choice(NEED_TEXTS["economy"]),
                        "facts": "가구원 " + str(len(household_clients)) + "명, 월세 거주, 소득 불안정",
                        "worker_opinion": "통합적 지원이 필요함",
                        "is_urgent": rng.random() < 0.1,
                        "created_at": created,
                        "updated_at": created,
                    }
                )
            if reached >= 2:
                for priority, domain in enumerate(
                    rng.sample(sorted(NEED_TEXTS), k=rng.randint(1, 3)), start=1
                ):
                    needs.append(
                        {
                            "id": ids("case_needs"),
                            "case_id": case_id,
                            "client_id": household_clients[0],
                            "domain": domain,
                            "phenomenon": rng.choice(NEED_TEXTS[domain]),
                            "cause": "소득 감소와 건강 악화",
                            "risk_level": rng.choice(("low", "medium", "high", "critical")),
                            "client_words": "도움이 필요해요",
                            "need_statement": f"{rng.choice(NEED_TEXTS[domain])} 해결",
                            "priority": priority,
                            "created_at": created,
                            "updated_at": created,
                        }
                    )
                ratings.append(
                    {
                        "id": ids("case_crisis_ratings"),
                        "case_id": case_id,
                        "rated_on": case["assessed_on"],
                        "level": rng.choice(("low", "medium", "high", "critical")),
                        "life_safety": case["is_life_safety"],
                        "notes": "정기 위기도 조사",
                        "rated_by_id": worker,
                        "created_at": created,
                        "updated_at": created,
                    }
                )
            if reached >= 3 or stage == "not_selected":
                selections.append(
                    {
                        "id": ids("case_selection_decisions"),
                        "case_id": case_id,
                        "decided_on": case["selected_on"] or opened_on,
                        "outcome": "not_selected" if stage == "not_selected" else "case_management",
                        "reason": "복합 욕구와 위기도를 고려함",
                        "alternative_services": "긴급복지 안내" if stage == "not_selected" else None,
                        "decided_by_id": self.supervisor_of[owner],
                        "meeting_id": None,
                        "created_at": created,
                        "updated_at": created,
                    }
                )
            if reached >= 4 and stage != "not_selected":
                plan_id = ids("case_service_plans")
                plans.append(
                    {
                        "id": plan_id,
                        "case_id": case_id,
                        "version": 1,
                        "kind": "integrated",
                        "horizon_months": rng.choice((3, 6, 12)),
                        "client_role": "정기 상담 참여, 병원 진료 유지",
                        "family_role": "자녀가 주 1회 방문",
                        "agreed_on": case["plan_agreed_on"],
                        "created_by_id": worker,
                        "created_at": created,
                        "updated_at": created,
                    }
                )
                first_goal = None
                for term in ("long", "short"):
                    goal_id = ids("case_plan_goals")
                    first_goal = first_goal or goal_id
                    goals.append(
                        {
                            "id": goal_id,
                            "plan_id": plan_id,
                            "domain": rng.choice(sorted(NEED_TEXTS)),
                            "term": term,
                            "statement": "안정적인 주거와 소득 확보" if term == "long" else "체납 월세 해소",
                            "target_on": self.today + timedelta(days=rng.randint(30, 300)),
                        }
                    )
                for _ in range(rng.randint(1, 3)):
                    provider = rng.choice(list(self.services_by_agency))
                    service = rng.choice(self.services_by_agency[provider])
                    plan_services.append(
                        {
                            "id": ids("case_plan_services"),
                            "plan_id": plan_id,
                            "goal_id": first_goal,
                            "name": service[1],
                            "provider_agency_id": provider,
                            "provider_name": None,
                            "quantity": rng.choice(("주 1회", "월 2회", "월 1회")),
                            "duration_months": rng.choice((3, 6)),
                            "intensity": rng.choice(("집중", "보통", "가벼움")),
                            "result": None,
                            "result_on": None,
                        }
                    )
        load = self.load
        load.copy("households", households)
        load.copy("clients", clients)
        load.copy("cases", cases)
        load.copy("case_events", events)
        load.copy("case_intake_records", intakes)
        load.copy("case_needs", needs)
        load.copy("case_crisis_ratings", ratings)
        load.copy("case_selection_decisions", selections)
        load.copy("case_service_plans", plans)
        load.copy("case_plan_goals", goals)
        load.copy("case_plan_services", plan_services)
        return {"households": len(households), "clients": len(clients), "cases": len(cases)}

    def monitoring(self) -> int:
        """상담일지 through the four monitoring channels, each its own (individual) counselling session."""
        rng, ids = self.rng, self.ids
        monitored = [case for case in self.case_rows if case["stage"] in MONITORED] or self.case_rows
        channels = ("regular_contact", "informal", "formal", "provider")
        findings = ("on_track",) * 8 + ("new_need", "environment_changed", "improved", "effect_minimal")
        methods = ("face_visit", "face_office", "phone_out", "message_out")
        types = (
            "welfare_medical",
            "welfare_housing",
            "welfare_debt",
            "motivation_counselling",
            "welfare_other",
        )
        sessions: list[dict[str, Any]] = []
        logs: list[dict[str, Any]] = []
        for _ in range(self.counts.monitoring):
            case = rng.choice(monitored)
            span = max(1, (self.today - case["opened_on"]).days)
            contacted = case["opened_on"] + timedelta(days=rng.randint(0, span))
            created = datetime.combine(contacted, datetime.min.time(), tzinfo=UTC) + timedelta(
                hours=rng.randint(0, 9)
            )
            method, minutes = rng.choice(methods), rng.randint(10, 120)
            # One session per log, sharing its id: the 상담일지 of an individual session.
            number = ids("case_counselling_logs")
            sessions.append(
                {
                    "id": number,
                    "held_on": contacted,
                    "method": method,
                    "minutes": minutes,
                    "counsellor_id": case["case_worker_id"],
                    "case_count": 1,
                    "created_at": created,
                    "updated_at": created,
                }
            )
            logs.append(
                {
                    "id": number,
                    "case_id": case["id"],
                    "session_id": number,
                    "contacted_on": contacted,
                    "channel": rng.choice(channels),
                    "method": method,
                    "area": "client",
                    "counselling_type": rng.choice(types),
                    "minutes": minutes,
                    "content": rng.choice(
                        (
                            "가정방문. 월세 납부 확인, 식사 상태 양호.",
                            "전화 상담. 병원 진료 일정 확인, 복약 잘 하고 있음.",
                            "제공기관 담당자와 통화, 서비스 주 1회 제공 중.",
                            "이웃 반응: 최근 외출이 늘었다고 함.",
                        )
                    ),
                    "worker_opinion": rng.choice((None, "변화 의지가 보임", "추가 지원 검토 필요")),
                    "finding": rng.choice(findings),
                    "author_id": case["case_worker_id"],
                    "created_at": created,
                    "updated_at": created,
                }
            )
        self.load.copy("case_counselling_sessions", sessions)
        return self.load.copy("case_counselling_logs", logs)

    # -- consents ---------------------------------------------------------------------------------

    def consents(self, district_id: int) -> dict[str, int]:
        """A signed consent per client: collection by the owner, and sharing with the network or an agency."""
        from consents.policy import CURRENT_NOTICE_VERSION, NoticeGrant, notice_hash, render_notice

        rng, ids = self.rng, self.ids
        consents, grants, revocations = [], [], []
        self.network_shared: set[int] = set()
        self.referral_grants: dict[int, set[int]] = {}
        agency_ids = list(self.agency_type)
        for case in self.case_rows:
            owner = case["owning_agency_id"]
            for client_id in self.case_clients[case["id"]]:
                consent_id = ids("consents")
                signed = case["opened_on"]
                sensitive = rng.random() < 0.5
                name = "대상자"
                shares_network = rng.random() < 0.75
                referral_agency = rng.choice(agency_ids) if rng.random() < 0.3 else None
                notice_grants = [
                    NoticeGrant(
                        "사례관리(수집·이용)",
                        self.agency_name[owner],
                        "통합사례관리",
                        "기본정보 등",
                        "사례 종결 후 5년",
                        "거부 시 사례관리 제한",
                    )
                ]
                rows = [
                    {
                        "id": ids("consent_grants"),
                        "consent_id": consent_id,
                        "purpose": "case_management",
                        "recipient_kind": "collector",
                        "recipient_agency_id": None,
                        "conference_id": None,
                        "district_id": None,
                        "field_groups": [*list(SHAREABLE_GROUPS), "counselling", "health", "unique_id"],
                    }
                ]
                if shares_network:
                    self.network_shared.add(client_id)
                    notice_grants.append(
                        NoticeGrant(
                            "사례관리(수집·이용)",
                            "한누리구 통합사례관리 네트워크",
                            "통합사례관리 협력",
                            "기본정보·가구·경제·욕구",
                            "사례 종결 시까지",
                            "거부 시 연계 제한",
                        )
                    )
                    rows.append(
                        {
                            "id": ids("consent_grants"),
                            "consent_id": consent_id,
                            "purpose": "case_management",
                            "recipient_kind": "network",
                            "recipient_agency_id": None,
                            "conference_id": None,
                            "district_id": district_id,
                            "field_groups": list(SHAREABLE_GROUPS) + (["health"] if sensitive else []),
                        }
                    )
                if referral_agency is not None:
                    self.referral_grants.setdefault(client_id, set()).add(referral_agency)
                    notice_grants.append(
                        NoticeGrant(
                            "특정 기관 의뢰",
                            self.agency_name[referral_agency],
                            "서비스 의뢰",
                            "기본정보·욕구",
                            "서비스 종료 시까지",
                            "거부 시 의뢰 불가",
                        )
                    )
                    rows.append(
                        {
                            "id": ids("consent_grants"),
                            "consent_id": consent_id,
                            "purpose": "referral",
                            "recipient_kind": "agency",
                            "recipient_agency_id": referral_agency,
                            "conference_id": None,
                            "district_id": None,
                            "field_groups": ["basic", "needs", "household"],
                        }
                    )
                notice = render_notice(
                    version=CURRENT_NOTICE_VERSION,
                    agency=self.agency_name[owner],
                    subject=name,
                    signer=name,
                    capacity="본인",
                    grants=notice_grants,
                    includes_sensitive=sensitive,
                    includes_unique_id=False,
                    validity="사례 종결 시까지",
                )
                consents.append(
                    {
                        "id": consent_id,
                        "client_id": client_id,
                        "agency_id": owner,
                        "case_id": case["id"],
                        "signer_capacity": "self",
                        "signer_name": name,
                        "signer_relationship": None,
                        "representation_evidence": None,
                        "method": "signed_in_person",
                        "recorded_by_id": case["case_worker_id"],
                        "witness_id": None,
                        "signed_on": signed,
                        "valid_from": signed,
                        "valid_until": None,
                        "includes_sensitive": sensitive,
                        "includes_unique_id": False,
                        "rrn_statutory_basis": None,
                        "notice_version": CURRENT_NOTICE_VERSION,
                        "notice_text": notice,
                        "notice_sha256": notice_hash(notice),
                        "attachment_path": None,
                        "attachment_sha256": None,
                        "attachment_type": None,
                        "created_at": datetime.combine(signed, datetime.min.time(), tzinfo=UTC),
                    }
                )
                for grant_row, shown in zip(rows, notice_grants, strict=True):
                    grant_row.update(
                        notice_recipient=shown.recipient,
                        notice_purpose=shown.recipient_purpose,
                        notice_items=shown.items,
                        notice_retention=shown.retention,
                        notice_refusal=shown.refusal,
                    )
                grants.extend(rows)
                if rng.random() < 0.01:
                    revocations.append(
                        {
                            "id": ids("consent_revocations"),
                            "consent_id": consent_id,
                            "grant_id": rows[-1]["id"],
                            "field_groups": ["economic"],
                            "revoked_at": self.at(rng.uniform(1, 30)),
                            "recorded_by_id": case["case_worker_id"],
                            "reason": "대상자 요청으로 경제상황 공유 철회",
                        }
                    )
        self.load.copy("consents", consents)
        self.load.copy("consent_grants", grants)
        self.load.copy("consent_revocations", revocations)
        return {"consents": len(consents), "consent_grants": len(grants)}

    # -- referrals ------------------------------------------------------------------------------

    def referrals(self, district_id: int) -> int:
        """의뢰 between agencies in every state, with their timeline and the 활용서식8 linkage."""
        rng, ids = self.rng, self.ids
        candidates = [
            case for case in self.case_rows if case["stage"] not in {"intake_pending", "not_selected"}
        ]
        referrals, events, linkages = [], [], []
        numbers: dict[int, int] = {}
        for _ in range(self.counts.referrals):
            case = rng.choice(candidates)
            sender_agency = case["owning_agency_id"]
            receiver_agency = rng.choice([a for a in self.services_by_agency if a != sender_agency])
            service_id, service_name, _category = rng.choice(self.services_by_agency[receiver_agency])
            status = _weighted(rng, REFERRAL_WEIGHTS)
            sent_days = rng.uniform(1, 500)
            numbers[sender_agency] = numbers.get(sender_agency, 0) + 1
            referral_id = ids("referrals")
            sent = None if status == "draft" else self.at(sent_days)
            answered = status not in {"draft", "requested", "received", "cancelled"}
            referrals.append(
                {
                    "id": referral_id,
                    "case_id": case["id"],
                    "client_id": case["main_client_id"],
                    "district_id": district_id,
                    "sending_agency_id": sender_agency,
                    "sender_id": case["case_worker_id"],
                    "receiving_agency_id": receiver_agency,
                    "service_id": service_id,
                    "receiver_id": rng.choice(self.staff_by_agency[receiver_agency]) if answered else None,
                    "status": status,
                    "source_type": "case",
                    "source_id": None,
                    "reason": "복합 욕구로 전문 서비스 연계 필요",
                    "requested_services": service_name,
                    "main_problem": "생계 곤란과 건강 악화",
                    "service_history": "긴급복지 생계지원(1개월)",
                    "notes": "",
                    "shared_field_groups": ["basic", "needs"],
                    "eligibility_override_reason": None,
                    "request_document_number": (
                        f"{self.agency_name[sender_agency]}-{self.today.year}-{numbers[sender_agency]:04d}"
                        if sent
                        else None
                    ),
                    "reply_document_number": None,
                    "sent_at": sent,
                    "received_at": self.at(sent_days - 1) if status not in {"draft", "requested"} else None,
                    "responded_at": self.at(sent_days - 3) if answered else None,
                    "completed_at": self.at(sent_days - 30)
                    if status == "completed" and sent_days > 31
                    else None,
                    "response_due_on": (self.today - timedelta(days=int(sent_days) - 7)) if sent else None,
                    "rejection_reason": "capacity_full" if status == "rejected" else None,
                    "rejection_note": "정원이 찼습니다" if status == "rejected" else None,
                    "outcome": "주 1회 방문 상담 제공" if status == "completed" else None,
                    "result_report": None,
                    "closing_note": "대상자 이사" if status == "cancelled" else None,
                    "rerouted_from_id": None,
                    "overdue_reminders": 0,
                    "escalated_at": None,
                    "created_at": self.at(sent_days + 1),
                    "updated_at": self.at(max(0.0, sent_days - 3)),
                }
            )
            previous = None
            path = ["draft", "requested", "received", "accepted", "in-progress", "completed"]
            if status in path:
                steps = path[: path.index(status) + 1]
            else:
                steps = (
                    ["draft", "requested", "received", status]
                    if status == "rejected"
                    else ["draft", "requested", status]
                )
            for offset, step in enumerate(steps):
                events.append(
                    {
                        "id": ids("referral_events"),
                        "referral_id": referral_id,
                        "from_status": previous,
                        "to_status": step,
                        "actor_id": case["case_worker_id"],
                        "agency_id": sender_agency,
                        "note": "",
                        "created_at": self.at(max(0.0, sent_days - offset)),
                    }
                )
                previous = step
            if sent is not None:
                linkages.append(
                    {
                        "id": ids("referral_linkages"),
                        "referral_id": referral_id,
                        "linked_on": sent.date(),
                        "agency_name": self.agency_name[receiver_agency],
                        "service_name": service_name,
                        "need": "생계·건강",
                        "result": status,
                        "created_at": sent,
                        "updated_at": sent,
                    }
                )
        self.load.copy("referrals", referrals)
        self.load.copy("referral_events", events)
        self.load.copy("referral_linkages", linkages)
        return len(referrals)

    # -- conferences ------------------------------------------------------------------------------

    def conferences(self, district_id: int, team: int, manifest_people: dict[str, int]) -> dict[str, Any]:
        """권역 conferences: closed ones with SOAP minutes and actions, some live now, some scheduled."""
        from conference.access import CURRENT_PLEDGE_VERSION

        rng, ids = self.rng, self.ids
        count = self.counts.conferences
        live_count = max(1, min(25, count // 5))
        scheduled_count = max(1, count // 8)
        statuses = ["live"] * live_count + ["scheduled"] * scheduled_count
        statuses += ["closed"] * (count - len(statuses))
        regions = sorted(set(self.dong_region.values()))
        coordinator = manifest_people["coordinator"]
        worker = manifest_people["worker"]
        worker_agency = self.agency_of_person[worker]
        conferences, invitations, attendances, items, sections, revisions, actions, minutes = (
            [],
            [],
            [],
            [],
            [],
            [],
            [],
            [],
        )
        live: dict[int, list[int]] = {}
        agency_ids = [a for a in self.agency_type if a != team]
        for index, status in enumerate(statuses):
            conference_id = ids("conferences")
            region_id = regions[index % len(regions)]
            if status == "closed":
                starts = self.at(30 * (index % 24) + rng.uniform(1, 20))
            elif status == "live":
                starts = self.now - timedelta(minutes=rng.randint(5, 50))
            else:
                starts = self.now + timedelta(days=rng.randint(3, 40))
            invited = sorted(
                set(rng.sample(agency_ids, k=min(len(agency_ids), 8)))
                | ({worker_agency} if status == "live" else set())
            )
            conferences.append(
                {
                    "id": conference_id,
                    "district_id": district_id,
                    "region_id": region_id,
                    "kind": "regional",
                    "title": f"{starts:%Y년 %m월} 권역 정기 통합사례회의 ({index + 1})",
                    "status": status,
                    "starts_at": starts,
                    "place": "한누리구청 별관 3층 회의실",
                    "host_agency_id": team,
                    "chair_id": coordinator,
                    "recorder_id": self.staff_by_agency[team][1],
                    "video_url": None,
                    "rule_id": None,
                    "signoff_days": 3,
                    "started_at": starts if status != "scheduled" else None,
                    "finalized_at": starts + timedelta(hours=3) if status == "closed" else None,
                    "locked_at": starts + timedelta(days=4) if status == "closed" else None,
                    "agenda_approved_at": starts - timedelta(days=5),
                    "revision": 0,
                    "created_at": starts - timedelta(days=20),
                    "updated_at": starts,
                }
            )
            for agency_id in invited:
                invitations.append(
                    {
                        "id": ids("conference_invitations"),
                        "conference_id": conference_id,
                        "agency_id": agency_id,
                        "person_id": None,
                        "role": "member",
                        "rsvp": "accepted",
                        "deputy_id": None,
                        "responded_at": starts - timedelta(days=3),
                        "created_at": starts - timedelta(days=10),
                        "updated_at": starts - timedelta(days=3),
                    }
                )
            attending: list[tuple[int, int]] = [(coordinator, team)]
            if status != "scheduled":
                for agency_id in invited:
                    for person_id in self.staff_by_agency[agency_id][:5]:
                        attending.append((person_id, agency_id))
                if status == "live" and (worker, worker_agency) not in attending:
                    attending.append((worker, worker_agency))
                seen: set[int] = set()
                for person_id, agency_id in attending:
                    if person_id in seen:
                        continue
                    seen.add(person_id)
                    attendances.append(
                        {
                            "id": ids("conference_attendances"),
                            "conference_id": conference_id,
                            "person_id": person_id,
                            "agency_id": agency_id,
                            "is_guest": False,
                            "checked_in_at": starts,
                            "pledge_version": CURRENT_PLEDGE_VERSION,
                            "pledge_accepted_at": starts,
                            "connections": 0,
                            "hand_raised_at": None,
                            "signoff": "signed" if status == "closed" else None,
                            "signoff_comment": None,
                            "signoff_at": starts + timedelta(days=1) if status == "closed" else None,
                            "minutes_sent_at": None,
                            "may_edit_minutes": person_id == coordinator,
                        }
                    )
                if status == "live":
                    live[conference_id] = sorted(seen)
            region_cases = [
                case
                for case in self.case_rows
                if self.dong_region.get(case["dong_id"]) == region_id
                and case["stage"] in {"planning", "delivery", "closure_review"}
            ]
            content: dict[str, Any] = {}
            for position in range(rng.randint(3, 5)):
                if not region_cases:
                    break
                case = rng.choice(region_cases)
                item_id = ids("conference_agenda_items")
                closed = status == "closed"
                items.append(
                    {
                        "id": item_id,
                        "conference_id": conference_id,
                        "case_id": case["id"],
                        "position": position,
                        "title": f"사례 #{case['id']} 통합 서비스 계획과 역할 분담",
                        "source": "proposed",
                        "source_detail": {},
                        "proposed_by_agency_id": case["owning_agency_id"],
                        "presenter_id": case["case_worker_id"],
                        "time_box_minutes": 20,
                        "status": "closed" if closed else "approved",
                        "stage": "wrap_up" if closed else "present",
                        "outcome": "agreed" if closed else None,
                        "opened_at": starts if closed else None,
                        "closed_at": starts + timedelta(minutes=20 * (position + 1)) if closed else None,
                        "timer_started_at": None,
                        "version": 1,
                        "created_at": starts - timedelta(days=7),
                        "updated_at": starts,
                    }
                )
                if status == "scheduled":
                    continue
                soap = {
                    "S": "대상자는 월세 체납과 건강 악화로 어려움을 호소함.",
                    "O": "월세 3개월 체납, 당뇨 진단, 자녀와 연락 단절.",
                    "A": "주거와 건강 욕구가 가장 시급함. 주 사례관리기관 지정 필요.",
                    "P": "종합사회복지관이 주 사례관리, 정신건강복지센터가 상담 연계.",
                }
                content[str(item_id)] = soap
                for section, section_text in soap.items():
                    versions = rng.randint(1, 3)
                    sections.append(
                        {
                            "id": ids("conference_soap_sections"),
                            "item_id": item_id,
                            "section": section,
                            "text": section_text,
                            "version": versions,
                            "updated_by_id": coordinator,
                            "updated_at": starts + timedelta(minutes=10),
                        }
                    )
                    for version in range(1, versions + 1):
                        revisions.append(
                            {
                                "id": ids("conference_soap_revisions"),
                                "item_id": item_id,
                                "section": section,
                                "version": version,
                                "text": section_text[: max(10, len(section_text) * version // versions)],
                                "author_id": coordinator,
                                "merged": False,
                                "created_at": starts + timedelta(minutes=version),
                            }
                        )
                for _ in range(rng.randint(1, 2)):
                    owner = rng.choice(invited)
                    actions.append(
                        {
                            "id": ids("conference_action_items"),
                            "conference_id": conference_id,
                            "item_id": item_id,
                            "case_id": case["id"],
                            "text": "주거급여 신청 지원 및 결과 공유",
                            "owner_agency_id": owner,
                            "assignee_id": self.staff_by_agency[owner][0],
                            "due_on": (starts + timedelta(days=30)).date(),
                            "referral_id": None,
                            "status": "done" if status == "closed" and rng.random() < 0.7 else "open",
                            "carry_reason": None,
                            "carried_to_item_id": None,
                            "created_at": starts,
                            "updated_at": starts,
                        }
                    )
            if status == "closed":
                minutes.append(
                    {
                        "id": ids("conference_minutes_versions"),
                        "conference_id": conference_id,
                        "version": 1,
                        "kind": "final",
                        "content": {"items": content, "addendum": ""},
                        "author_id": coordinator,
                        "created_at": starts + timedelta(hours=3),
                    }
                )
        load = self.load
        load.copy("conferences", conferences)
        load.copy("conference_invitations", invitations)
        load.copy("conference_attendances", attendances)
        load.copy("conference_agenda_items", items)
        load.copy("conference_soap_sections", sections)
        load.copy("conference_soap_revisions", revisions)
        load.copy("conference_action_items", actions)
        load.copy("conference_minutes_versions", minutes)
        return {"conferences": len(conferences), "live": live}

    # -- the access log -------------------------------------------------------------------------------

    def access_log(self) -> int:
        """Two years of disclosures, oldest first, chained exactly as ``consents.access_log`` chains them."""
        from consents.access_log import GENESIS_HASH, row_hash_of
        from consents.models import AccessLogEntry

        rng = self.rng
        count = self.counts.access_log
        clients = list(self.client_owner)
        agencies = list(self.agency_type)
        channels = ("page",) * 12 + ("api", "socket", "letter", "email", "export")
        purposes = ("case_management",) * 6 + ("conference_sharing", "referral", "follow_up")
        start = self.now - timedelta(days=365 * HISTORY_YEARS)
        step = (self.now - timedelta(hours=1) - start) / count
        owner_groups = sorted((*SHAREABLE_GROUPS, "counselling", "health", "unique_id"))
        shared_groups = sorted(("basic", "household", "economic", "needs"))

        class Row:
            """The attributes ``AccessLogEntry.hashed_content`` reads, without ORM overhead."""

            __slots__ = (
                "actor_id", "agency_id", "basis", "channel", "client_id", "created_at", "field_groups",
                "ip_address", "prev_hash", "purpose", "reason", "request_id",
            )  # fmt: skip
            actor_id: int
            agency_id: int
            basis: str
            channel: str
            client_id: int
            created_at: datetime
            field_groups: list[str]
            ip_address: str
            prev_hash: str
            purpose: str
            reason: str | None
            request_id: str
            hashed_content = AccessLogEntry.hashed_content

        columns = (
            "id", "created_at", "actor_id", "agency_id", "client_id", "field_groups", "purpose", "channel",
            "basis", "request_id", "ip_address", "reason", "prev_hash", "row_hash",
        )  # fmt: skip

        def rows() -> Iterator[tuple[Any, ...]]:
            previous = GENESIS_HASH
            row = Row()
            for number in range(1, count + 1):
                client_id = rng.choice(clients)
                owner = self.client_owner[client_id]
                is_owner = rng.random() < 0.7
                agency_id = owner if is_owner else rng.choice(agencies)
                row.created_at = (start + step * number).replace(microsecond=rng.randrange(1_000_000))
                row.actor_id = rng.choice(self.staff_by_agency[agency_id])
                row.agency_id = agency_id
                row.client_id = client_id
                row.field_groups = owner_groups if is_owner else shared_groups
                row.purpose = rng.choice(purposes)
                row.channel = rng.choice(channels)
                row.basis = "owner" if is_owner else f"consent:{client_id}"
                row.request_id = f"{number:032x}"
                row.ip_address = f"10.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}"
                row.reason = "사례회의 자료 준비" if row.channel in {"export", "download"} else None
                row.prev_hash = previous
                digest = row_hash_of(row)  # type: ignore[arg-type]
                yield (
                    number, row.created_at, row.actor_id, agency_id, client_id, json.dumps(row.field_groups),
                    row.purpose, row.channel, row.basis, row.request_id, row.ip_address, row.reason,
                    previous, digest,
                )  # fmt: skip
                previous = digest

        return self.load.copy_tuples("consent_access_log", columns, rows())


def _reset_sequences(connection: Any, metadata: sa.MetaData) -> None:
    # Rows were written with explicit ids; move every id sequence past them so the app can insert.
    with connection.cursor() as cursor:
        for table in metadata.sorted_tables:
            if "id" not in table.columns or not isinstance(table.columns["id"].type, sa.Integer):
                continue
            cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", (table.name,))
            found = cursor.fetchone()
            if not found or not found[0]:
                continue
            cursor.execute(
                f'SELECT setval(%s, COALESCE((SELECT MAX(id) FROM "{table.name}"), 0) + 1, false)',  # noqa: S608 -- table names from our own metadata
                (found[0],),
            )


def generate(
    database_url: str,
    *,
    scale: float = 1.0,
    field_encryption_key: str,
    secret_key: str | None = None,
    redis_url: str | None = None,
    log: Callable[[str], None] = print,
) -> Manifest:
    """Create the schema in an empty PostgreSQL database and load a district of ``scale``."""
    import psycopg

    from hamkke.app import create_app
    from hamkke.db import db

    started = time.monotonic()
    counts = Counts.for_scale(scale)
    app = create_app(
        app_config(
            database_url,
            secret_key=secret_key or secrets.token_urlsafe(48),
            field_encryption_key=field_encryption_key,
            redis_url=redis_url,
        )
    )
    upgrade_schema(app)
    with app.app_context():
        db.engine.dispose()
    metadata = db.metadata
    now = datetime.now(UTC).replace(microsecond=0)
    with psycopg.connect(_plain_url(database_url)) as connection, app.app_context():
        # Constraints are checked at COPY time; ids are explicit so every foreign key is written already.
        loader = Loader(connection, metadata)
        builder = DistrictBuilder(loader, counts, key=field_encryption_key, now=now)

        def step(label: str, function: Callable[[], Any]) -> Any:
            began = time.monotonic()
            result = function()
            log(f"  {label}: {time.monotonic() - began:.1f}s")
            return result

        network = step("network", builder.network)
        step("clients and cases", builder.cases)
        step("monitoring entries", builder.monitoring)
        step("consents", lambda: builder.consents(network["district_id"]))
        step("referrals", lambda: builder.referrals(network["district_id"]))
        people = _people_by_email(builder)
        conferences = step(
            "conferences", lambda: builder.conferences(network["district_id"], network["team_id"], people)
        )
        step("access log", builder.access_log)
        _reset_sequences(connection, metadata)
        connection.commit()
        connection.autocommit = True
        step("analyze", lambda: connection.execute("ANALYZE"))
    worker_agency = builder.agency_of_person[people["worker"]]
    worker_cases = [case for case in builder.case_rows if case["owning_agency_id"] == worker_agency]
    manifest = Manifest(
        district_id=network["district_id"],
        coordinator_id=people["coordinator"],
        coordinator_agency_id=network["team_id"],
        worker_id=people["worker"],
        worker_agency_id=worker_agency,
        dong_worker_id=people["dong"],
        dong_agency_id=builder.agency_of_person[people["dong"]],
        worker_case_id=max(worker_cases, key=lambda case: (case["stage"] == "delivery", case["id"]))["id"],
        live_conference_id=min(conferences["live"]),
        live_conferences=conferences["live"],
        counts=dict(loader.written),
        seconds=time.monotonic() - started,
    )
    return manifest


def _people_by_email(builder: DistrictBuilder) -> dict[str, int]:
    # The first person of these agencies got the well-known addresses (see DistrictBuilder._staff).
    team = next(a for a, kind in builder.agency_type.items() if kind == "district_team")
    welfare = next(a for a, kind in builder.agency_type.items() if kind == "community_welfare_centre")
    dong = next(a for a, kind in builder.agency_type.items() if kind == "dong_centre")
    return {
        "coordinator": builder.staff_by_agency[team][0],
        "worker": builder.staff_by_agency[welfare][0],
        "dong": builder.staff_by_agency[dong][0],
    }


def load_manifest(database_url: str) -> Manifest:
    """Rebuild the manifest of a generated database from the well-known accounts (for separate runs)."""
    engine = sa.create_engine(database_url)
    try:
        with engine.connect() as connection:

            def person(email: str) -> tuple[int, int]:
                row = connection.execute(
                    sa.text(
                        "SELECT p.id, m.agency_id FROM people p JOIN memberships m ON m.person_id = p.id "
                        "WHERE p.email = :email ORDER BY m.id LIMIT 1"
                    ),
                    {"email": email},
                ).one()
                return int(row[0]), int(row[1])

            coordinator, team = person(COORDINATOR_EMAIL)
            worker, worker_agency = person(WORKER_EMAIL)
            dong_worker, dong_agency = person(DONG_WORKER_EMAIL)
            district_id = connection.execute(
                sa.text("SELECT id FROM districts WHERE code = :code"), {"code": DISTRICT_CODE}
            ).scalar_one()
            case_id = connection.execute(
                sa.text(
                    "SELECT id FROM cases WHERE owning_agency_id = :agency "
                    "ORDER BY (stage = 'delivery') DESC, id DESC LIMIT 1"
                ),
                {"agency": worker_agency},
            ).scalar_one()
            live: dict[int, list[int]] = {}
            for conference_id, person_id in connection.execute(
                sa.text(
                    "SELECT c.id, a.person_id FROM conferences c JOIN conference_attendances a "
                    "ON a.conference_id = c.id WHERE c.status = 'live' AND c.district_id = :district "
                    "ORDER BY c.id, a.person_id"
                ),
                {"district": district_id},
            ):
                live.setdefault(int(conference_id), []).append(int(person_id))
            live_with_worker = [cid for cid, people in live.items() if worker in people]
    finally:
        engine.dispose()
    return Manifest(
        district_id=int(district_id),
        coordinator_id=coordinator,
        coordinator_agency_id=team,
        worker_id=worker,
        worker_agency_id=worker_agency,
        dong_worker_id=dong_worker,
        dong_agency_id=dong_agency,
        worker_case_id=int(case_id),
        live_conference_id=min(live_with_worker),
        live_conferences=live,
    )


def _hash_key(material: str) -> str:
    return hashlib.sha256(material.encode("utf-8")).hexdigest()[:12]


def main(argv: Sequence[str] | None = None) -> int:
    """Generate a district into an existing, empty database."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("database_url", help="postgresql+psycopg://… of an empty database")
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument(
        "--field-encryption-key",
        default=os.environ.get("HAMKKE_FIELD_ENCRYPTION_KEY") or "",
        help="key for encrypted columns (default: HAMKKE_FIELD_ENCRYPTION_KEY)",
    )
    args = parser.parse_args(argv)
    if not args.field_encryption_key:
        parser.error("--field-encryption-key or HAMKKE_FIELD_ENCRYPTION_KEY is required")
    os.environ.setdefault("HAMKKE_INSTANCE_PATH", str(Path.cwd() / "instance"))
    manifest = generate(args.database_url, scale=args.scale, field_encryption_key=args.field_encryption_key)
    print(f"generated in {manifest.seconds:.1f}s (key {_hash_key(args.field_encryption_key)}):")
    for table, rows in sorted(manifest.counts.items()):
        print(f"  {table}: {rows}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
