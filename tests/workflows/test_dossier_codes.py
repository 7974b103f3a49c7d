"""Dossier codes: format, daily reset, and no duplicate under concurrent intake (threads, both backends);
the number register of issued forms."""

from __future__ import annotations

import threading
from datetime import date

from sqlalchemy.engine import Engine
from sqlmodel import Session

from workflows.core.db import session_scope
from workflows.documents.context import FormCode
from workflows.dossiers.codes import format_code, is_dossier_code, new_code
from workflows.dossiers.numbers import issue_number

TEMPLATE = "{agency}-{yymmdd}-{seq:04d}"


class TestFormat:
    def test_default_template(self) -> None:
        assert format_code(TEMPLATE, agency_code="H60.22", day=date(2026, 1, 7), seq=12) == "H60.22-260107-0012"

    def test_recognises_codes_typed_by_citizens(self) -> None:
        assert is_dossier_code("h60.22-260107-0012")
        assert not is_dossier_code("tra cứu")
        assert not is_dossier_code("H60.22-2601-0012")


class TestSequence:
    def test_daily_sequence_per_agency(self, db: Engine) -> None:
        with session_scope(db) as session:
            first = new_code(session, template=TEMPLATE, agency_code="H60.22", day=date(2026, 11, 24))
            second = new_code(session, template=TEMPLATE, agency_code="H60.22", day=date(2026, 11, 24))
            other = new_code(session, template=TEMPLATE, agency_code="H60.9", day=date(2026, 11, 24))
            next_day = new_code(session, template=TEMPLATE, agency_code="H60.22", day=date(2026, 11, 25))
        assert (first, second) == ("H60.22-261124-0001", "H60.22-261124-0002")
        assert other == "H60.9-261124-0001"
        assert next_day == "H60.22-261125-0001"

    def test_no_duplicate_under_concurrent_intake(self, db: Engine) -> None:
        codes: list[str] = []
        errors: list[BaseException] = []
        barrier = threading.Barrier(16)
        lock = threading.Lock()

        def take() -> None:
            try:
                barrier.wait()
                for _ in range(5):
                    with session_scope(db) as session:
                        code = new_code(session, template=TEMPLATE, agency_code="H60.22", day=date(2026, 11, 24))
                    with lock:
                        codes.append(code)
            except BaseException as exc:  # noqa: BLE001 - reported below
                errors.append(exc)

        threads = [threading.Thread(target=take) for _ in range(16)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert errors == []
        assert len(codes) == 80 and len(set(codes)) == 80
        assert sorted(codes)[-1] == "H60.22-261124-0080"


class TestFormNumbers:
    def test_per_agency_year_and_form_and_given_back_on_rollback(self, db: Engine) -> None:
        with session_scope(db) as session:
            numbers = [issue_number(session, agency_code="H60.22", year=2026, form=FormCode.MAU_01)
                       for _ in range(2)]
            other_form = issue_number(session, agency_code="H60.22", year=2026, form=FormCode.MAU_02)
            other_agency = issue_number(session, agency_code="H60.9", year=2026, form=FormCode.MAU_01)
            next_year = issue_number(session, agency_code="H60.22", year=2027, form=FormCode.MAU_01)
            unnumbered = issue_number(session, agency_code="H60.22", year=2026, form=FormCode.MAU_06)
        assert numbers == [("1/TNHS", 1), ("2/TNHS", 2)]
        assert (other_form, other_agency, next_year, unnumbered) == (("1/HDHS", 1), ("1/TNHS", 1), ("1/TNHS", 1),
                                                                     None)
        with Session(db) as session:  # a step that fails gives its number back
            assert issue_number(session, agency_code="H60.22", year=2026, form=FormCode.MAU_01) == ("3/TNHS", 3)
            session.rollback()
        with session_scope(db) as session:
            assert issue_number(session, agency_code="H60.22", year=2026, form=FormCode.MAU_01) == ("3/TNHS", 3)
