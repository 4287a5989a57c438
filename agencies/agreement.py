"""The 업무협약 (data-sharing agreement) every agency accepts before it joins the network.

The text is versioned: a changed wording gets a new version identifier, and the acceptance
stores the version and the SHA-256 of the exact text shown, so the district can prove later
which wording an agency agreed to.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass


@dataclass(frozen=True)
class AgreementText:
    """One version of the agreement: an identifier, a title and its articles."""

    version: str
    title: str
    #: (article heading, paragraphs)
    articles: tuple[tuple[str, tuple[str, ...]], ...]

    @property
    def plain_text(self) -> str:
        """Return the full text as shown, one paragraph per line (what the hash covers)."""
        lines = [self.title, f"(버전 {self.version})"]
        for heading, paragraphs in self.articles:
            lines.append(heading)
            lines.extend(paragraphs)
        return "\n".join(lines)

    @property
    def sha256(self) -> str:
        """Return the SHA-256 (hex) of the exact text."""
        return hashlib.sha256(self.plain_text.encode("utf-8")).hexdigest()


AGREEMENT_2026_1 = AgreementText(
    version="2026-1",
    title="함께 통합사례관리 네트워크 개인정보 공동이용 및 업무협약",
    articles=(
        (
            "제1조 (목적)",
            (
                "이 협약은 구청(희망복지지원단)과 참여 기관이 통합사례관리와 통합사례회의를 위하여 "
                "대상자의 개인정보를 안전하게 주고받고 함께 이용하는 데 필요한 사항을 정한다.",
            ),
        ),
        (
            "제2조 (개인정보 보호 의무)",
            (
                "참여 기관은 「개인정보 보호법」, 같은 법 시행령, 「개인정보의 안전성 확보조치 기준」 및 "
                "「사회보장급여의 이용·제공 및 수급권자 발굴에 관한 법률」에 따른 "
                "개인정보처리자의 의무를 진다.",
                "참여 기관은 개인정보 보호책임자를 지정하고, 개인정보를 처리하는 직원(개인정보취급자)에게 "
                "연 1회 이상 개인정보 보호 교육을 실시한다.",
            ),
        ),
        (
            "제3조 (목적 외 이용 금지)",
            (
                "참여 기관은 대상자가 동의한 목적(통합사례관리, 서비스 연계, 통합사례회의)과 범위 안에서만 "
                "개인정보를 이용하며, 동의받은 항목 외의 정보를 요구하거나 목적 외로 이용·제공하지 아니한다.",
                "제3자 제공은 대상자가 제공받는 자, 목적, 항목, 보유기간을 알고 별도로 동의한 경우에만 한다.",
            ),
        ),
        (
            "제4조 (접근 권한과 접속기록)",
            (
                "참여 기관은 업무에 꼭 필요한 직원에게만 최소한의 권한을 부여하고, 퇴직·전보 시 지체 없이 "
                "권한을 회수한다. 권한의 부여·변경·말소 내역은 3년 이상 보관한다.",
                "플랫폼은 개인정보의 열람·입력·수정·출력 기록(접속기록)을 남기며, 참여 기관은 "
                "구청의 접속기록 점검에 협조한다.",
            ),
        ),
        (
            "제5조 (비밀유지)",
            (
                "참여 기관과 그 직원은 업무상 알게 된 대상자와 가구의 정보를 재직 중은 물론 퇴직 후에도 "
                "누설하거나 다른 사람이 이용하도록 제공하지 아니한다.",
                "통합사례회의 자료와 회의록은 회의 목적에 필요한 범위에서만 공유하고, "
                "외부 전문가(자문위원)도 같은 비밀유지 의무를 진다.",
            ),
        ),
        (
            "제6조 (보유기간과 파기)",
            (
                "개인정보는 이용 목적이 끝난 날부터 5년을 넘지 않는 기간 동안 보관하고, 기간이 지나면 "
                "지체 없이 파기하며 파기 기록을 남긴다.",
            ),
        ),
        (
            "제7조 (사고 대응)",
            (
                "참여 기관은 개인정보의 분실·도난·유출을 알게 된 때에는 즉시 구청에 알리고, 법령이 정한 "
                "기한(72시간) 안에 정보주체 통지와 신고가 이루어지도록 협조한다.",
            ),
        ),
        (
            "제8조 (협약의 변경과 해지)",
            (
                "협약 문안이 바뀌면 참여 기관의 기관관리자가 새 문안에 다시 동의한다.",
                "협약을 위반한 기관은 구청 통합사례관리 조정자가 참여를 정지할 수 있다.",
            ),
        ),
    ),
)

#: the version every new acceptance must be for
CURRENT_AGREEMENT = AGREEMENT_2026_1

#: every version ever shown, so old acceptances can be displayed with their exact wording
AGREEMENTS: dict[str, AgreementText] = {AGREEMENT_2026_1.version: AGREEMENT_2026_1}


def current_agreement() -> AgreementText:
    """Return the agreement version agencies accept now."""
    return CURRENT_AGREEMENT
