"""Demo accounts of the fictional district 한빛구, served by the development OIDC provider.

The demo loader (`hamkke demo`) creates staff and memberships from the same list, so a demo
user who signs in through the provider lands on an account that already has its roles.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class DemoAccount:
    """One demo person: OIDC subject, profile claims and the agency role the demo gives them."""

    #: stable OIDC ``sub`` claim
    subject: str
    email: str
    name: str
    #: code of the demo agency this person works for (see ``demo.district``)
    agency_code: str
    #: role given by the demo loader (values of ``agencies.models.StaffRole``)
    role: str
    #: what the sign-in page says about the account, in Korean
    description: str


DEMO_PASSWORD = "hamkke-demo"  # noqa: S105 -- development provider only; it refuses to start in production

DEMO_ACCOUNTS: tuple[DemoAccount, ...] = (
    DemoAccount(
        "demo-coordinator",
        "kim.coordinator@hanbit.go.kr",
        "김조정",
        "hanbit-gu-team",
        "coordinator",
        "구청 희망복지지원단 통합사례관리 조정자",
    ),
    DemoAccount(
        "demo-dong-worker",
        "lee.dong@hanbit.go.kr",
        "이복지",
        "dong-solnae",
        "case_worker",
        "솔내동 주민센터 맞춤형복지팀 복지플래너",
    ),
    DemoAccount(
        "demo-dong-supervisor",
        "park.team@hanbit.go.kr",
        "박팀장",
        "dong-solnae",
        "supervisor",
        "솔내동 주민센터 맞춤형복지팀장",
    ),
    DemoAccount(
        "demo-welfare-worker",
        "choi.cm@hanbit-welfare.or.kr",
        "최사례",
        "hanbit-welfare",
        "case_worker",
        "한빛종합사회복지관 사례관리자",
    ),
    DemoAccount(
        "demo-welfare-admin",
        "jung.admin@hanbit-welfare.or.kr",
        "정관리",
        "hanbit-welfare",
        "agency_admin",
        "한빛종합사회복지관 기관관리자",
    ),
    DemoAccount(
        "demo-selfsuff-worker",
        "kang.jahwal@hanbit-jahwal.or.kr",
        "강자활",
        "hanbit-jahwal",
        "case_worker",
        "한빛지역자활센터 사례관리자",
    ),
    DemoAccount(
        "demo-mental-health",
        "yoon.mind@hanbit-mind.or.kr",
        "윤마음",
        "hanbit-mental-health",
        "case_worker",
        "한빛구정신건강복지센터 정신건강전문요원",
    ),
    DemoAccount(
        "demo-invited-director",
        "director@hanbit-legal.or.kr",
        "문대표",
        "hanbit-legal-aid",
        "agency_admin",
        "한빛법률구조센터 대표 (초대받은 기관: 업무협약 전)",
    ),
    DemoAccount(
        "demo-advisor",
        "han.advisor@hanbit-univ.ac.kr",
        "한자문",
        "hanbit-gu-team",
        "advisor",
        "확대사례회의 자문위원 (사회복지학과 교수)",
    ),
    DemoAccount(
        "demo-auditor",
        "seo.audit@hanbit.go.kr",
        "서감사",
        "hanbit-gu-team",
        "auditor",
        "구청 개인정보 접근기록 점검 담당",
    ),
)
