"""Korean particles (조사) chosen by how the word before them ends: 은/는, 이/가, 을/를, 과/와, 으로/로.

The small PyPI josa packages are unmaintained or very young and none reads numbers or Latin letters,
so this one helper does it for every message: Hangul by its final consonant (받침), numbers as they
are read (1 일, 10 십, 1000 천), Latin acronyms by the letters' names (엘, 엠, 엔, 알) and Latin words by
their last letter (…l → ㄹ, …m/…n → 받침). Brackets and quotes at the end are looked through
("복지관(본관)" is read up to 관). A word whose ending cannot be read keeps the written-out form (the
closed particle with the open one in brackets), which Korean style guides prescribe when the reading
is unknown.
"""

from __future__ import annotations

import re
from typing import Final, Literal

#: how a word ends when read aloud: no final consonant, ㄹ, another final consonant, or unknown
Ending = Literal["vowel", "rieul", "consonant", "unknown"]

_HANGUL_FIRST: Final = 0xAC00
_HANGUL_LAST: Final = 0xD7A3
_RIEUL_JONGSEONG: Final = 8

#: each particle pair as (after a final consonant, after a vowel); ㄹ takes 로, not 으로
_PAIRS: Final[dict[str, tuple[str, str]]] = {
    "은": ("은", "는"),
    "이": ("이", "가"),
    "을": ("을", "를"),
    "과": ("과", "와"),
    "으로": ("으로", "로"),
    "이나": ("이나", "나"),
    "이라": ("이라", "라"),
    "아": ("아", "야"),
    "이에요": ("이에요", "예요"),
}
#: every spelling a caller may use for a pair (either form, both with a slash, or one bracketed) → its key
_ALIASES: Final[dict[str, str]] = {}
for _key, (_closed, _open) in _PAIRS.items():
    for _spelling in (_closed, _open, f"{_closed}/{_open}", f"{_closed}({_open})", f"({_closed}){_open}"):
        _ALIASES[_spelling] = _key
_ALIASES["(으)로"] = "으로"

#: final sound of each digit read in Sino-Korean: 영 일 이 삼 사 오 육 칠 팔 구
_DIGIT_ENDING: Final[dict[str, Ending]] = {
    "0": "consonant",
    "1": "rieul",
    "2": "vowel",
    "3": "consonant",
    "4": "vowel",
    "5": "vowel",
    "6": "consonant",
    "7": "rieul",
    "8": "rieul",
    "9": "vowel",
}
#: trailing zeros read as a unit: 십 백 천, then 만 억 조 경 for every four
_SMALL_UNIT_ENDING: Final[dict[int, Ending]] = {1: "consonant", 2: "consonant", 3: "consonant"}
_LARGE_UNIT_ENDING: Final[tuple[Ending, ...]] = ("consonant", "consonant", "vowel", "consonant")
#: Latin letters whose Korean name ends in a consonant: 엘 엠 엔 알 (the others end in a vowel)
_LETTER_ENDING: Final[dict[str, Ending]] = {"L": "rieul", "R": "rieul", "M": "consonant", "N": "consonant"}
#: closing marks looked through: the particle follows the word inside
_TRAILING: Final = " \t\n.,·'\"’”」』)]}>〉》"
_NUMBER = re.compile(r"[0-9][0-9,]*(?:\.([0-9]+))?$")
_LATIN_WORD = re.compile(r"[A-Za-z]+$")


def _hangul_ending(char: str) -> Ending:
    code = ord(char) - _HANGUL_FIRST
    jongseong = code % 28
    if jongseong == 0:
        return "vowel"
    return "rieul" if jongseong == _RIEUL_JONGSEONG else "consonant"


def _number_ending(number: str, decimals: str | None) -> Ending:
    if decimals:
        # 3.14 is read digit by digit after the point: 삼 점 일 사
        return _DIGIT_ENDING[decimals[-1]]
    digits = number.replace(",", "")
    stripped = digits.rstrip("0")
    if not stripped:
        return "consonant"  # 영
    zeros = len(digits) - len(stripped)
    if zeros == 0:
        return _DIGIT_ENDING[stripped[-1]]
    if zeros % 4:
        return _SMALL_UNIT_ENDING[zeros % 4]
    return _LARGE_UNIT_ENDING[min(zeros // 4, len(_LARGE_UNIT_ENDING)) - 1]


def _latin_ending(word: str) -> Ending:
    if word.isupper() or len(word) == 1:
        # An acronym or a single letter is read letter by letter: "NGO" 엔지오, "URL" 유알엘.
        return _LETTER_ENDING.get(word[-1].upper(), "vowel")
    last = word[-1].lower()
    if last == "l":
        return "rieul"  # school 스쿨, Seoul 서울
    if last in "mn" or word.lower().endswith("ng"):
        return "consonant"  # team 팀, plan 플랜, Daejeong 대정
    return "vowel"  # network 네트워크, care 케어, Hamkke 함께


def ending(word: str) -> Ending:
    """Tell how ``word`` ends when read aloud, looking through closing brackets and quotes."""
    text = word.rstrip(_TRAILING)
    if not text:
        return "unknown"
    last = text[-1]
    if _HANGUL_FIRST <= ord(last) <= _HANGUL_LAST:
        return _hangul_ending(last)
    number = _NUMBER.search(text)
    if number:
        return _number_ending(number.group(0).split(".")[0], number.group(1))
    latin = _LATIN_WORD.search(text)
    if latin:
        return _latin_ending(latin.group(0))
    return "unknown"


def particle(word: str, which: str) -> str:
    """Return the particle ``which`` (either form, or both slashed or bracketed) as ``word`` takes it."""
    key = _ALIASES.get(which)
    if key is None:
        raise ValueError(f"unknown particle {which!r}")
    closed, open_ = _PAIRS[key]
    kind = ending(word)
    if kind == "unknown":
        return "(으)로" if key == "으로" else f"{closed}({open_})"
    if key == "으로":
        return open_ if kind in ("vowel", "rieul") else closed
    return open_ if kind == "vowel" else closed


def with_particle(word: object, which: str) -> str:
    """Return ``word`` followed by its particle: ``with_particle("솔내동 주민센터", "은")`` → "…센터는"."""
    text = "" if word is None else str(word)
    return text + particle(text, which)
