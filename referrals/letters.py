"""The 의뢰서 and 회신서 as PDF letters: rendered once by the worker, downloaded only through a check."""

from __future__ import annotations

import hashlib
import logging
import os
from pathlib import Path

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.exc import IntegrityError

from agencies.models import Agency, Person
from cases.models import Client
from consents import sharing
from hamkke.audit import record
from hamkke.db import db
from hamkke.errors import NotFound
from hamkke.korean import with_particle
from hamkke.pdf import KoreanDocument
from hamkke.time import now_utc, to_local
from referrals import access, disclosure
from referrals.disclosure import client_fields, group_label, log_disclosure
from referrals.models import LetterKind, LetterReissue, Referral, ReferralLetter
from referrals.outside import queue_outside_letter

logger = logging.getLogger(__name__)

#: the first issue of a letter; a re-issue is version 2, 3, … (a LetterReissue row says why)
FIRST_VERSION = 1


def letters_folder() -> Path:
    """Return the folder (under the instance folder) that holds rendered letters."""
    return Path(current_app.instance_path) / "letters" / "referrals"


def disclosed_groups(referral: Referral, client: Client) -> list[str]:
    """Return the chosen field groups still within consent now (a withdrawn group drops out of the letter)."""
    return sorted(disclosure.shared_now(client, referral))


def versioned_number(number: str, version: int) -> str:
    """Return the document number of a version: the original number, plus ``-v2``, ``-v3`` … on re-issue."""
    return number if version == FIRST_VERSION else f"{number}-v{version}"


def _letterhead(document: KoreanDocument, agency: Agency) -> None:
    document.heading(agency.name, size=18)
    contact = "  ".join(
        part for part in (agency.address, agency.phone and f"전화 {agency.phone}", agency.email) if part
    )
    if contact:
        document.set_font_size(9)
        document.multi_cell(0, 5, contact, new_x="LMARGIN", new_y="NEXT")
    document.set_draw_color(40, 40, 40)
    document.line(18, document.get_y() + 1, 192, document.get_y() + 1)
    document.ln(5)
    document.set_font_size(10)


def _row(document: KoreanDocument, label: str, value: str) -> None:
    # KoreanDocument.labelled leaves x at the right edge, so a second row would have no room.
    document.multi_cell(0, 6, f"{label}: {value}", new_x="LMARGIN", new_y="NEXT")


def _paragraph(document: KoreanDocument, text: str) -> None:
    document.multi_cell(0, 6, text, new_x="LMARGIN", new_y="NEXT")


def build_letter(
    referral: Referral,
    kind: LetterKind,
    groups: list[str],
    client: Client,
    *,
    reissue: LetterReissue | None = None,
    rerendered: bool = False,
) -> bytes:
    """Return the PDF bytes of the letter; ``groups`` are the consent-checked field groups to show.

    :param rerendered: a download after a withdrawal: the letter says it was narrowed.
    """
    request = kind is LetterKind.request
    issuer = referral.sending_agency if request else referral.receiving_agency
    assert issuer is not None  # noqa: S101 -- a reply letter exists only for a network agency
    addressee = referral.recipient_name if request else referral.sending_agency.name
    base = referral.request_document_number if request else referral.reply_document_number
    version = reissue.version if reissue is not None else FIRST_VERSION
    number = versioned_number(base, version) if base is not None else None
    if reissue is not None:
        issued_at = reissue.requested_at
    else:
        issued_at = (referral.sent_at if request else referral.completed_at) or now_utc()
    document = KoreanDocument(title=kind.label, document_number=number, generated_at=issued_at)
    # A fixed creation date makes a re-render of the same letter byte-identical.
    document.set_creation_date(issued_at)
    document.alias_nb_pages()
    document.add_page()
    _letterhead(document, issuer)
    _row(document, "문서번호", number or "-")
    _row(document, "시행일자", to_local(issued_at).strftime("%Y. %m. %d."))
    _row(document, "수신", addressee)
    _row(document, "제목", "서비스 의뢰" if request else "서비스 의뢰 회신(결과보고)")
    if reissue is not None and base is not None:
        _row(
            document,
            "재발급",
            f"{version}차 (앞 문서 {with_particle(versioned_number(base, version - 1), '을')} 대신함)",
        )
        _row(document, "재발급 사유", reissue.reason)
    document.ln(3)
    if request:
        document.multi_cell(
            0, 6, "아래 대상자에게 필요한 서비스를 의뢰하오니 검토 후 회신하여 주시기 바랍니다."
        )
        document.ln(2)
        if referral.service is not None:
            _row(document, "의뢰 서비스", referral.service.name)
        if referral.response_due_on is not None:
            _row(document, "회신 기한", referral.response_due_on.strftime("%Y. %m. %d."))
        document.ln(2)
    else:
        _row(document, "원 의뢰", referral.request_document_number or "-")
        document.ln(2)
    if rerendered:
        _row(document, "비고", "대상자의 동의 철회 또는 처리정지로 제공 항목을 줄여 다시 만든 문서입니다.")
    document.block("대상자 정보 (동의 범위 안)", _client_block(groups, client))
    if request:
        # Each free text belongs to a field group and is printed only inside the consent.
        for text in disclosure.texts(referral, groups):
            document.block(text.label, text.value)
        contact = referral.sender
    else:
        document.block("서비스 결과", referral.outcome or "")
        document.block("결과보고", referral.result_report or "")
        contact = referral.receiver or referral.sender
    document.ln(3)
    _row(document, "담당자", f"{contact.name} ({issuer.name})")
    document.ln(6)
    document.heading(f"{issuer.name}장", size=14)
    return document.render()


def _client_block(groups: list[str], client: Client) -> str:
    if not groups:
        return (
            "대상자가 이 기관에 제공을 동의한 정보가 없습니다. 필요하면 의뢰 기관 담당자에게 연락해 주세요."
        )
    rows = [f"{label}: {value}" for label, value in client_fields(client, groups)]
    shared = ", ".join(group_label(group) for group in groups)
    return "\n".join([*rows, f"(제공 항목: {shared})"])


def ensure_letter(
    referral_id: int, kind: LetterKind | str, version: int = FIRST_VERSION
) -> ReferralLetter | None:
    """Render and store one version of a letter unless it exists; commit; return it (None if none is due).

    Idempotent: the unique (referral, kind, version) key keeps a redelivered or duplicated task from
    adding a second letter, and the file is written under a temporary name and renamed into place.
    A request letter to an outside organisation is e-mailed (through the outbox) in the same
    transaction that stores it.
    """
    kind = LetterKind(kind)
    existing = _find(referral_id, kind, version)
    if existing is not None:
        return existing
    referral = db.session.get(Referral, referral_id)
    if referral is None:
        return None
    number = (
        referral.request_document_number if kind is LetterKind.request else referral.reply_document_number
    )
    if number is None:
        return None  # not sent (request) or not completed (reply): no letter exists yet
    reissue = None
    if version != FIRST_VERSION:
        reissue = _reissue(referral_id, kind, version)
        if reissue is None:
            return None  # nobody asked for this version
    client = db.session.get(Client, referral.client_id)
    assert client is not None  # noqa: S101 -- foreign key
    groups = disclosed_groups(referral, client)
    content = build_letter(referral, kind, groups, client, reissue=reissue)
    relative = Path(str(referral.id)) / f"{kind.value}-v{version}.pdf"
    target = letters_folder() / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_suffix(f".{os.getpid()}.tmp")
    temporary.write_bytes(content)
    os.replace(temporary, target)
    letter = ReferralLetter(
        referral_id=referral.id,
        kind=kind,
        version=version,
        document_number=versioned_number(number, version),
        path=str(Path("letters") / "referrals" / relative),
        sha256=hashlib.sha256(content).hexdigest(),
        size=len(content),
        field_groups=groups,
        texts_gated=True,
        reason=reissue.reason if reissue is not None else None,
    )
    recipient = referral.receiving_agency_id if kind is LetterKind.request else referral.sending_agency_id
    try:
        with db.session.begin_nested():
            db.session.add(letter)
            db.session.flush()
            if referral.is_external and kind is LetterKind.request:
                queue_outside_letter(referral, letter)
        log_disclosure(
            actor=None,
            agency_id=recipient,
            client_id=client.id,
            groups=groups,
            channel="letter",
            basis=f"referral_outside:{referral.id}" if referral.is_external else "referral",
        )
        db.session.commit()
    except IntegrityError:
        # Another delivery of the same task won the race; its row (same bytes, same path) stands.
        db.session.rollback()
        return _find(referral_id, kind, version)
    logger.info("Letter %s/%s v%s rendered (%d bytes)", referral_id, kind.value, version, len(content))
    return letter


def _find(referral_id: int, kind: LetterKind, version: int) -> ReferralLetter | None:
    return db.session.scalar(
        sa.select(ReferralLetter).where(
            ReferralLetter.referral_id == referral_id,
            ReferralLetter.kind == kind,
            ReferralLetter.version == version,
        )
    )


def _reissue(referral_id: int, kind: LetterKind, version: int) -> LetterReissue | None:
    return db.session.scalar(
        sa.select(LetterReissue).where(
            LetterReissue.referral_id == referral_id,
            LetterReissue.kind == kind,
            LetterReissue.version == version,
        )
    )


def missing_letters() -> list[tuple[int, LetterKind, int]]:
    """Return (referral, kind, version) of letters due but not rendered (enqueue lost, worker died)."""
    missing: list[tuple[int, LetterKind, int]] = []
    for kind, column in (
        (LetterKind.request, Referral.request_document_number),
        (LetterKind.reply, Referral.reply_document_number),
    ):
        rendered = sa.select(ReferralLetter.referral_id).where(
            ReferralLetter.kind == kind, ReferralLetter.version == FIRST_VERSION
        )
        ids = db.session.scalars(
            sa.select(Referral.id)
            .where(column.is_not(None), Referral.id.not_in(rendered))
            .order_by(Referral.id)
        )
        missing.extend((referral_id, kind, FIRST_VERSION) for referral_id in ids)
    rendered_versions = sa.select(ReferralLetter.id).where(
        ReferralLetter.referral_id == LetterReissue.referral_id,
        ReferralLetter.kind == LetterReissue.kind,
        ReferralLetter.version == LetterReissue.version,
    )
    for reissue in db.session.scalars(
        sa.select(LetterReissue).where(~rendered_versions.exists()).order_by(LetterReissue.id)
    ):
        missing.append((reissue.referral_id, reissue.kind, reissue.version))
    return missing


def rendered_letters(referral_id: int) -> list[ReferralLetter]:
    """Return the referral's rendered letters as stored now (not as a loaded relationship remembers)."""
    return list(
        db.session.scalars(
            sa.select(ReferralLetter)
            .where(ReferralLetter.referral_id == referral_id)
            .order_by(ReferralLetter.id)
        )
    )


def pending_letters(referral: Referral) -> list[tuple[LetterKind, int]]:
    """Return (kind, version) of this referral's letters that are due but not rendered yet (생성 중)."""
    rendered = {(letter.kind, letter.version) for letter in rendered_letters(referral.id)}
    due: list[tuple[LetterKind, int]] = []
    if referral.request_document_number is not None:
        due.append((LetterKind.request, FIRST_VERSION))
    if referral.reply_document_number is not None:
        due.append((LetterKind.reply, FIRST_VERSION))
    due.extend(
        (reissue.kind, reissue.version)
        for reissue in db.session.scalars(
            sa.select(LetterReissue)
            .where(LetterReissue.referral_id == referral.id)
            .order_by(LetterReissue.id)
        )
    )
    return [key for key in due if key not in rendered]


def latest_version(referral_id: int, kind: LetterKind) -> int:
    """Return the highest version asked for of a letter (1 when it was never re-issued)."""
    highest = db.session.scalar(
        sa.select(sa.func.max(LetterReissue.version)).where(
            LetterReissue.referral_id == referral_id, LetterReissue.kind == kind
        )
    )
    return int(highest or FIRST_VERSION)


def open_letter(
    letter_id: int, *, actor: Person, acting_agency_id: int | None
) -> tuple[ReferralLetter, Path | bytes]:
    """Return a letter for download after the access check, re-checked against consent now; logged.

    The stored file is served while every group it may carry (its client fields and free texts) is
    still consented to the letter's recipient. After a withdrawal or 처리정지 the letter is rendered
    again without the withdrawn groups (the bytes, not stored), and the audit trail says so.
    """
    letter = db.session.get(ReferralLetter, letter_id)
    if letter is None:
        raise NotFound("문서를 찾을 수 없습니다.", english="Letter not found.")
    referral = access.require_view(actor, letter.referral)
    path = Path(current_app.instance_path) / letter.path
    if not path.is_file():
        raise NotFound(
            "문서 파일을 찾을 수 없습니다. 잠시 후 다시 시도해 주세요.", english="Letter file missing."
        )
    client = db.session.get(Client, referral.client_id)
    assert client is not None  # noqa: S101 -- foreign key
    allowed = disclosed_groups(referral, client)
    carried = set(letter.field_groups)
    if letter.kind is LetterKind.request and not letter.texts_gated:
        # A letter stored before the texts were gated printed every text: count them as carried.
        carried |= sharing.text_groups(referral)
    withheld = sorted(carried - set(allowed))
    if not withheld:
        log_disclosure(
            actor=actor,
            agency_id=acting_agency_id,
            client_id=referral.client_id,
            groups=letter.field_groups,
            channel="download",
            basis=f"referral_letter:{letter.id}",
        )
        return letter, path
    reissue = _reissue(referral.id, letter.kind, letter.version) if letter.version != FIRST_VERSION else None
    content = build_letter(referral, letter.kind, allowed, client, reissue=reissue, rerendered=True)
    log_disclosure(
        actor=actor,
        agency_id=acting_agency_id,
        client_id=referral.client_id,
        groups=allowed,
        channel="download",
        basis=f"referral_letter:{letter.id};rerendered",
    )
    record(
        "referrals.letter_rerendered",
        actor_id=actor.id,
        agency_id=acting_agency_id,
        obj=letter,
        data={"withheld_groups": withheld, "served_groups": allowed, "stored_groups": letter.field_groups},
    )
    return letter, content
