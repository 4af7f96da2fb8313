"""Review exports: the XLSX a lead keeps, the CSV, masking, escaping, the record kept.

Built on the hand-made June of tests/test_indicators.py and run on the real job
queue (Redis), as a worker would.
"""

import csv
import io
from datetime import datetime

import openpyxl
import pytest
import sqlalchemy as sa

from server.auth.models import User
from server.customers.models import Customer
from server.extensions import db
from server.reviews.models import ReviewExport
from server.visits.models import Visit
from tests.test_indicators import JUNE, _clock, june  # noqa: F401  (fixtures)

API = "/api/v1/reviews"


def export(client, run_jobs, **body) -> tuple[dict, bytes]:
    job = client.post(f"{API}/exports", json=JUNE | body)
    assert job.status_code == 202, job.json
    run_jobs()
    done = client.get(f"/api/v1/jobs/{job.json['id']}").json
    assert done["status"] == "done", done
    download = client.get(done["download_url"])
    assert download.status_code == 200
    assert download.headers["Cache-Control"] == "no-store"
    data = download.get_data()
    download.close()
    return done, data


@pytest.fixture
def tricky(in_app, june):  # noqa: F811  (the fixture imported above)
    """A manager whose name a spreadsheet would run, and a visit note that would too."""
    with in_app():
        db.session.get(User, june["mgr_a2"].id).display_name = "=2+3"
        visit = db.session.scalars(sa.select(Visit).order_by(Visit.started_at.desc())).first()
        visit.outcome = "@SUM(A1:A9)"
        customer = db.session.get(Customer, visit.customer_id)
        customer.phone = "13812345678"
        db.session.commit()
    return june


def test_the_summary_sheet_equals_the_api_and_keeps_numbers_numbers(client, auth, run_jobs, tricky):
    auth.login(tricky["lead_a"].username)
    review = client.get(API, query_string=JUNE).json
    done, data = export(client, run_jobs, language="zh-CN")
    book = openpyxl.load_workbook(io.BytesIO(data))
    assert book.sheetnames == ["汇总", "趋势", "拜访", "投诉", "预警", "营销活动", "指标定义"]
    summary = book["汇总"]
    header = [cell.value for cell in summary[2]]
    assert header[:6] == [
        "客户经理",
        "团队",
        "月客户例行关怀计划完成率 权重",
        "月客户例行关怀计划完成率 目标值",
        "月客户例行关怀计划完成率 实际值",
        "月客户例行关怀计划完成率 得分",
    ]
    assert header[-2:] == ["加权得分", "排名"]
    assert summary.freeze_panes == "B3"
    rows = {row[0].value: row for row in summary.iter_rows(min_row=3, max_row=4)}
    # A formula-looking name is escaped, not run.
    assert "'=2+3" in rows
    by_name = {m["manager"]["display_name"]: m for m in review["managers"]}
    for name, row in rows.items():
        api = by_name["=2+3" if name == "'=2+3" else name]
        actual = row[4]
        if api["figures"]["routine_care"]["value"] is None:
            assert actual.value is None
        else:
            # A percentage is a number shown as %, not the text "66.7%".
            assert isinstance(actual.value, float)
            assert actual.value == pytest.approx(api["figures"]["routine_care"]["value"])
            assert actual.number_format == "0.0%"
        assert row[2].value == 19  # the weight
        assert row[3].value == pytest.approx(0.95)  # the target
        assert row[len(header) - 2].value == pytest.approx(api["score"])
        assert row[len(header) - 1].value == api["rank"]
    satisfaction = header.index("客户满意度 实际值")
    a1 = rows[by_name_key(by_name, tricky["mgr_a1"])]
    assert a1[satisfaction].value == pytest.approx(4.5)
    assert a1[satisfaction].number_format == "0.00"
    assert done["result"]["rows"] >= 2
    # The details: the phone masked for a lead; the formula-looking outcome escaped.
    visits = book["拜访"]
    texts = [[cell.value for cell in row] for row in visits.iter_rows(min_row=2)]
    assert any(row[8] == "'@SUM(A1:A9)" for row in texts)
    assert any(row[3] == "138****5678" for row in texts)
    assert all(row[4] in (None, "****-**-**") for row in texts)
    assert isinstance(texts[0][0], datetime)


def by_name_key(by_name: dict, manager) -> str:
    return next(name for name, m in by_name.items() if m["manager"]["id"] == str(manager.id))


def test_an_admin_may_export_unmasked_and_every_export_is_recorded(
    client, auth, run_jobs, in_app, tricky
):
    auth.login(tricky["lead_a"].username)
    refused = client.post(f"{API}/exports", json=JUNE | {"unmasked": True})
    assert (refused.status_code, list(refused.json["error"]["fields"])) == (422, ["unmasked"])
    auth.login(tricky["admin"].username)
    _, data = export(
        client, run_jobs, team_id=str(tricky["team_a"].id), unmasked=True, language="en"
    )
    book = openpyxl.load_workbook(io.BytesIO(data))
    visits = [[c.value for c in row] for row in book["Visits"].iter_rows(min_row=2)]
    assert any(row[3] == "13812345678" for row in visits)
    with in_app():
        record = db.session.scalars(sa.select(ReviewExport)).one()
        assert (record.user_id, record.format, record.unmasked) == (
            tricky["admin"].id,
            "xlsx",
            True,
        )
        assert record.scope == {
            "kind": "team",
            "team_id": str(tricky["team_a"].id),
            "starts_on": "2026-06-01",
            "ends_on": "2026-06-30",
        }
        assert record.rows > 2


def test_the_csv_is_the_summary_with_percentages_as_numbers(client, auth, run_jobs, tricky):
    auth.login(tricky["lead_a"].username)
    done, data = export(client, run_jobs, format="csv", language="en")
    assert done["result"]["file"].endswith(".csv")
    assert data.startswith("\ufeff".encode())  # Excel reads UTF-8 Chinese with a BOM
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    header, body = rows[0], rows[1:]
    assert header[0] == "Manager"
    column = header.index("Routine care plans completed Actual")
    by_name = {row[0]: row for row in body}
    assert "'=2+3" in by_name
    a1 = next(row for name, row in by_name.items() if name != "'=2+3")
    assert float(a1[column]) == pytest.approx(66.67, abs=0.01)


@pytest.mark.parametrize(
    ("who", "body", "status"),
    [
        ("mgr_a1", {}, 403),
        ("lead_b", {"team_id": "team_a"}, 404),
        ("lead_a", {"format": "pdf"}, 422),
        ("lead_a", {"starts_on": None}, 422),
    ],
)
def test_who_may_export_what(client, auth, team_setup, who, body, status):
    auth.login(team_setup[who].username)
    payload = JUNE | {
        key: (str(team_setup[value].id) if key == "team_id" else value)
        for key, value in body.items()
    }
    payload = {k: v for k, v in payload.items() if v is not None}
    assert client.post(f"{API}/exports", json=payload).status_code == status


def test_someone_elses_job_and_file_are_not_found(client, auth, run_jobs, tricky):
    auth.login(tricky["lead_a"].username)
    done, _ = export(client, run_jobs, format="csv")
    auth.login(tricky["lead_b"].username)
    assert client.get(f"/api/v1/jobs/{done['id']}").status_code == 404
    assert client.get(done["download_url"]).status_code == 404
