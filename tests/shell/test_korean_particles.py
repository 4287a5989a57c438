"""One helper chooses every Korean particle by how the word before it is read."""

from __future__ import annotations

import pytest

from hamkke.korean import ending, particle, with_particle

pytestmark = pytest.mark.embedded


@pytest.mark.parametrize(
    ("word", "which", "expected"),
    [
        # names ending with and without a final consonant, and with ㄹ
        ("솔내동 주민센터", "은", "솔내동 주민센터는"),
        ("한빛종합사회복지관", "은/는", "한빛종합사회복지관은"),
        ("한빛종합사회복지관", "이/가", "한빛종합사회복지관이"),
        ("한빛지역자활센터", "이(가)", "한빛지역자활센터가"),
        ("기록", "을(를)", "기록을"),
        ("위기도 조사", "을/를", "위기도 조사를"),
        ("김조정", "과/와", "김조정과"),
        ("이복지", "와", "이복지와"),
        ("서울", "으로", "서울로"),
        ("한빛구", "(으)로", "한빛구로"),
        ("복지관", "으로/로", "복지관으로"),
        ("사후관리", "이라", "사후관리라"),
        # brackets and quotes are looked through
        ("한빛종합사회복지관(본관)", "은", "한빛종합사회복지관(본관)은"),
        ("「서비스 연계」", "을", "「서비스 연계」를"),
        ("'종결'", "으로", "'종결'로"),
        # numbers as they are read
        ("2026-0001", "이", "2026-0001이"),  # 일
        ("사례 2026-0002", "이", "사례 2026-0002가"),  # 이
        ("3", "을", "3을"),  # 삼
        ("7", "으로", "7로"),  # 칠: ㄹ takes 로
        ("10", "은", "10은"),  # 십
        ("100", "과", "100과"),  # 백
        ("1,000", "이", "1,000이"),  # 천
        ("20000", "을", "20000을"),  # 이만
        ("300000000", "을", "300000000을"),  # 삼억
        ("3.14", "는", "3.14는"),  # 사
        ("0", "이", "0이"),  # 영
        # Latin acronyms by their letters' names, words by their last letter
        ("NGO", "는", "NGO는"),
        ("URL", "을", "URL을"),
        ("URL", "으로", "URL로"),
        ("CRM", "이", "CRM이"),
        ("Seoul", "으로", "Seoul로"),
        ("Hamkke", "은", "Hamkke는"),
        ("team", "을", "team을"),
        ("network", "를", "network를"),
    ],
)
def test_particle_follows_the_reading(word: str, which: str, expected: str) -> None:
    assert with_particle(word, which) == expected


def test_every_spelling_of_a_pair_gives_the_same_choice() -> None:
    for spelling in ("을", "를", "을/를", "을(를)", "(을)를"):
        assert particle("가방", spelling) == "을"
        assert particle("나무", spelling) == "를"


def test_a_word_that_cannot_be_read_keeps_the_written_out_form() -> None:
    assert ending("★") == "unknown"
    assert particle("★", "을") == "을(를)"
    assert particle("", "으로") == "(으)로"
    assert with_particle(None, "은") == "은(는)"


def test_an_unknown_particle_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="unknown particle"):
        particle("가방", "의")


#: the written-out pairs that show a particle was not chosen for the word before it
UNRESOLVED = ("을(를)", "은(는)", "이(가)", "과(와)", "와(과)", "(으)로", "(을)를", "(은)는", "(이)가")
#: the helper itself spells them out (its fallback and its aliases); tests quote them
SKIP = {"hamkke/korean.py"}


def test_no_message_in_the_code_spells_out_a_particle() -> None:
    from hamkke.config import REPO_ROOT

    offenders = []
    for pattern in ("**/*.py", "**/*.html", "**/*.txt", "**/*.js", "translations/**/*.po"):
        for path in REPO_ROOT.glob(pattern):
            relative = path.relative_to(REPO_ROOT).as_posix()
            if relative in SKIP or relative.startswith(
                (".venv/", "tests/", "static/vendor/", "node_modules/")
            ):
                continue
            text = path.read_text(encoding="utf-8", errors="replace")
            if relative.endswith(".po"):
                # Only live entries count; pybabel keeps replaced msgids as "#~" comments.
                text = "\n".join(line for line in text.splitlines() if not line.startswith("#~"))
            offenders += [f"{relative}: {form}" for form in UNRESOLVED if form in text]
    assert not offenders, offenders


def test_the_legal_notice_names_the_agency_with_its_own_particle() -> None:
    from consents.policy import CURRENT_NOTICE_VERSION, render_notice

    def notice(agency: str) -> str:
        return render_notice(
            version=CURRENT_NOTICE_VERSION,
            agency=agency,
            subject="홍길동",
            signer="홍길동",
            capacity="본인",
            grants=[],
            includes_sensitive=False,
            includes_unique_id=False,
            validity="사례 종결 시까지",
        )

    assert "솔내동 주민센터는 「개인정보 보호법」" in notice("솔내동 주민센터")
    assert "한빛종합사회복지관은 「개인정보 보호법」" in notice("한빛종합사회복지관")
    assert "(는)" not in notice("솔내동 주민센터")
