"""The roster import: template, checks by row and column, preview, confirmation, the write."""

from __future__ import annotations

import datetime
import io
from typing import Any

import pytest
import xlsxwriter
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from python_calamine import CalamineWorkbook

from dangjian.core.choices import ImportStatus
from dangjian.core.crypto import blind_index
from dangjian.core.models import ImportBatch
from dangjian.members import imports
from dangjian.members.forms import MemberForm
from dangjian.members.models import Member, MemberCategory
from dangjian.members.selectors import registry as selectors
from dangjian.members.services.imports import (
    roster_import_check,
    roster_import_confirm,
    roster_import_run,
    roster_import_upload,
)
from dangjian.members.tests.factories import id_number, make_member

pytestmark = pytest.mark.django_db

TITLES = {column.field: column.title for column in imports.COLUMNS}


def person(number: int, **overrides: Any) -> dict[str, Any]:
    """A row as a person fills the template: labels from the drop-downs, dates as dates."""
    birth = datetime.date(1960, 1, 1) + datetime.timedelta(days=number)
    values = {
        "name": f"导入党员{number}",
        "gender": "男" if number % 2 else "女",
        "ethnicity": "汉族",
        "id_number": id_number(birth, "110101", number % 1000),
        "phone": f"139{number:08d}",
        "education": "本科",
        "branch": "翠湖第一支部",
        "membership_type": "正式党员",
        "join_date": datetime.date(1990, 7, 1),
        "full_member_date": datetime.date(1991, 7, 1),
        "standing": "正常",
        "status": "在册",
        "categories": "在职党员、困难党员",
        "residence_community": "翠湖社区",
        "grid": "第三网格",
    }
    values.update(overrides)
    return values


def roster(people: list[dict[str, Any]], world) -> bytes:
    """The template as the importer downloads it, filled in after the header."""
    rows = [[values.get(column.field, "") for column in imports.COLUMNS] for values in people]
    return imports.write_template(root=world.units["C1"], rows=rows)


class Importer:
    """A signed-in client that uploads and confirms, running the tasks each step enqueues (the
    immediate backend runs them when the transaction commits, which a test only simulates)."""

    def __init__(self, client, run_on_commit) -> None:
        self.client = client
        self.run_on_commit = run_on_commit

    def __getattr__(self, name: str) -> Any:
        return getattr(self.client, name)

    def upload(self, content: bytes, name: str = "名册.xlsx"):
        with self.run_on_commit(execute=True):
            return self.client.post(reverse("members:import_start"), {"file": SimpleUploadedFile(name, content)})

    def uploaded(self, content: bytes, name: str = "名册.xlsx") -> ImportBatch:
        response = self.upload(content, name)
        assert response.status_code == 302, response.content.decode()[:2000]
        return ImportBatch.objects.get(pk=response.url.rstrip("/").rsplit("/", 1)[-1])

    def confirm(self, batch: ImportBatch, **kwargs: Any):
        with self.run_on_commit(execute=True):
            response = self.client.post(reverse("members:import_confirm", args=[batch.pk]), **kwargs)
        batch.refresh_from_db()
        return response


def messages_of(batch: ImportBatch) -> list[str]:
    return [imports.error_sentence(error) for error in batch.errors]


def plain_file(rows: list[list[Any]]) -> bytes:
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True})
    sheet = workbook.add_worksheet(imports.SHEET)
    for number, row in enumerate(rows):
        for index, value in enumerate(row):
            sheet.write(number, index, value)
    workbook.close()
    return buffer.getvalue()


@pytest.fixture
def secretary(world, login, django_capture_on_commit_callbacks):
    return Importer(login(world.personas["community_secretary"]), django_capture_on_commit_callbacks)


# --- The template -------------------------------------------------------------------------------


def test_the_template_has_a_drop_down_for_every_enumerated_column_and_instructions(world, secretary):
    response = secretary.get(reverse("members:import_template"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    workbook = CalamineWorkbook.from_filelike(io.BytesIO(response.content))
    assert workbook.sheet_names == [imports.SHEET, imports.HELP_SHEET, imports.LISTS_SHEET]
    header = workbook.get_sheet_by_name(imports.SHEET).to_python()[0]
    assert header == [column.title for column in imports.COLUMNS]
    lists = workbook.get_sheet_by_name(imports.LISTS_SHEET).to_python()
    by_title = {title: [row[index] for row in lists[1:] if row[index]] for index, title in enumerate(lists[0])}
    # The secretary's branches and communities only: nothing from 松涛 or 北岭.
    assert by_title["所在党支部"] == ["翠湖第一支部", "翠湖第二支部"]
    assert by_title["居住社区"] == ["翠湖社区"]
    assert by_title["性别"] == ["男", "女"]
    assert "困难党员" in by_title["人员类别"]
    assert "汉族" in by_title["民族"]
    guide = " ".join(str(cell) for row in workbook.get_sheet_by_name(imports.HELP_SHEET).to_python() for cell in row)
    assert "公民身份号码" in guide and "粘贴" in guide
    import zipfile

    sheet_xml = zipfile.ZipFile(io.BytesIO(response.content)).read("xl/worksheets/sheet1.xml").decode()
    enumerated = [column for column in imports.COLUMNS if column.kind in ("choice", "lookup", "multi")]
    assert sheet_xml.count('type="list"') == len(enumerated)


# --- Whole imports ------------------------------------------------------------------------------


def test_a_thousand_row_template_imports(world, secretary):
    before = Member.objects.count()
    batch = secretary.uploaded(roster([person(number) for number in range(1, 1001)], world))
    assert batch.status == ImportStatus.VALIDATED, messages_of(batch)[:5]
    assert (batch.total_rows, batch.new_count, batch.updated_count, batch.unchanged_count) == (1000, 1000, 0, 0)
    page = secretary.get(reverse("members:import_batch", args=[batch.pk])).content.decode()
    assert "确认导入" in page and "导入党员1" in page

    secretary.confirm(batch)
    assert batch.status == ImportStatus.DONE
    assert batch.progress == 100
    assert batch.confirmed_by == world.personas["community_secretary"]
    assert bytes(batch.content) == b""  # imported: the file with its clear numbers is not kept
    assert Member.objects.count() == before + 1000
    member = Member.objects.get(id_number_index=blind_index(person(7)["id_number"]))
    assert (member.name, member.gender, member.branch, member.residence_community) == (
        "导入党员7",
        "male",
        world.units["B1"],
        world.units["C1"],
    )
    assert sorted(member.categories.values_list("name", flat=True)) == ["困难党员", "在职党员"]
    assert member.history.filter(history_type="+").get().history_user == world.personas["community_secretary"]


def test_a_file_with_one_bad_row_is_refused_with_its_row_and_column_and_nothing_written(world, secretary):
    people = [person(number) for number in range(1, 11)]
    bad = people[3]["id_number"]
    people[3]["id_number"] = bad[:-1] + ("0" if bad[-1] != "0" else "1")
    before = Member.objects.count()
    batch = secretary.uploaded(roster(people, world))
    assert batch.status == ImportStatus.FAILED
    assert batch.error_count == 1
    assert messages_of(batch) == ["第 5 行「公民身份号码」：公民身份号码校验位不正确，请核对。"]
    assert Member.objects.count() == before
    page = secretary.get(reverse("members:import_batch", args=[batch.pk])).content.decode()
    assert "第 5 行" in page and "公民身份号码校验位不正确，请核对。" in page and "没有写入任何数据" in page
    # The refused batch cannot be confirmed.
    response = secretary.confirm(batch, follow=True)
    assert "未通过校验" in response.content.decode()
    assert Member.objects.count() == before


def test_the_error_file_carries_the_rows_with_a_column_of_messages(world, secretary):
    people = [person(1), person(2, phone="12345")]
    batch = secretary.uploaded(roster(people, world))
    response = secretary.get(reverse("members:import_errors", args=[batch.pk]))
    assert response.status_code == 200
    workbook = CalamineWorkbook.from_filelike(io.BytesIO(response.content))
    rows = workbook.get_sheet_by_name(imports.SHEET).to_python()
    assert rows[0][-1] == imports.MESSAGES_COLUMN
    assert rows[1][-1] == ""
    assert rows[2][-1] == "「手机号码」：手机号码应为 1 开头的 11 位数字。"
    assert rows[2][rows[0].index("公民身份号码")] == people[1]["id_number"]
    listing = workbook.get_sheet_by_name("错误清单").to_python()
    assert listing[1] == [3.0, "手机号码", "手机号码应为 1 开头的 11 位数字。"]
    # Uploaded again as it is, the error file reads like the original: its message column is ignored.
    again = secretary.uploaded(response.content, "名册-错误说明.xlsx")
    assert messages_of(again) == messages_of(batch)


def test_reimporting_the_same_file_updates_nothing_and_duplicates_no_one(world, secretary):
    content = roster([person(number) for number in range(1, 21)], world)
    secretary.confirm(secretary.uploaded(content))
    count = Member.objects.count()

    again = secretary.uploaded(content)
    assert again.status == ImportStatus.VALIDATED
    assert (again.new_count, again.updated_count, again.unchanged_count) == (0, 0, 20)
    page = secretary.get(reverse("members:import_batch", args=[again.pk])).content.decode()
    assert "无需导入" in page
    secretary.confirm(again)
    assert again.status == ImportStatus.DONE
    assert Member.objects.count() == count


def test_reimporting_with_a_changed_phone_updates_that_member(world, secretary):
    people = [person(number) for number in range(1, 6)]
    secretary.confirm(secretary.uploaded(roster(people, world)))
    count = Member.objects.count()
    people[2]["phone"] = "13700000003"
    people[4]["phone"] = ""  # blank keeps what is stored

    batch = secretary.uploaded(roster(people, world))
    assert (batch.new_count, batch.updated_count, batch.unchanged_count) == (0, 1, 4)
    assert batch.preview["updated"][0]["changes"] == ["手机号码"]
    assert batch.preview["updated"][0]["row"] == 4
    secretary.confirm(batch)
    assert batch.status == ImportStatus.DONE
    assert Member.objects.count() == count
    changed = Member.objects.get(id_number_index=blind_index(people[2]["id_number"]))
    assert changed.phone == "13700000003"
    assert changed.version == 2
    kept = Member.objects.get(id_number_index=blind_index(people[4]["id_number"]))
    assert kept.phone == person(5)["phone"]


def test_an_existing_member_is_updated_by_id_number_not_added(world, secretary):
    existing = world.members["B1"]
    row = person(1, id_number=existing.id_number, name=existing.name, branch="翠湖第二支部")
    batch = secretary.uploaded(roster([row], world))
    assert (batch.new_count, batch.updated_count) == (0, 1)
    secretary.confirm(batch)
    existing.refresh_from_db()
    assert existing.branch == world.units["B1b"]
    assert Member.objects.filter(id_number_index=existing.id_number_index).count() == 1


def test_confirming_twice_imports_once(world, secretary):
    batch = secretary.uploaded(roster([person(1), person(2)], world))
    count = Member.objects.count()
    secretary.confirm(batch)
    response = secretary.confirm(batch, follow=True)
    assert "已经导入，不会重复导入" in response.content.decode()
    assert Member.objects.count() == count + 2
    # A task delivered twice does nothing the second time either.
    assert roster_import_run(batch_id=batch.pk).status == ImportStatus.DONE
    assert Member.objects.count() == count + 2


def test_a_number_registered_after_the_preview_refuses_the_whole_import(world, secretary):
    people = [person(number) for number in range(1, 4)]
    batch = secretary.uploaded(roster(people, world))
    # Between the preview and the confirmation, another community registers the third person.
    make_member(world.units["B2"], name="抢先登记", id_number=people[2]["id_number"])
    count = Member.objects.count()
    secretary.confirm(batch)
    assert batch.status == ImportStatus.FAILED
    assert messages_of(batch) == ["第 4 行「公民身份号码」：该公民身份号码已登记在册。"]
    assert Member.objects.count() == count


# --- A refused file: each a clear message, nothing written --------------------------------------


@pytest.mark.parametrize(
    "content",
    [b"this is not a spreadsheet", b"PK\x03\x04 broken zip", b""],
    ids=["text", "broken-zip", "empty"],
)
def test_a_broken_file_is_refused(world, secretary, content):
    count = Member.objects.count()
    response = secretary.upload(content, "名册.xlsx")
    if content == b"":
        assert "上传的文件是空的" in response.content.decode()
        return
    batch = ImportBatch.objects.get()
    assert batch.status == ImportStatus.FAILED
    assert messages_of(batch) == ["文件无法读取：请上传用 Excel 保存的 .xlsx 文件。"]
    assert Member.objects.count() == count
    # Even then the error file downloads, with the list of errors.
    response = secretary.get(reverse("members:import_errors", args=[batch.pk]))
    listing = CalamineWorkbook.from_filelike(io.BytesIO(response.content)).get_sheet_by_name("错误清单").to_python()
    assert listing[1][2] == imports.BROKEN_FILE


def test_a_zip_that_is_not_a_workbook_is_refused(world, secretary):
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("readme.txt", "hello")
    batch = secretary.uploaded(buffer.getvalue(), "名册.xlsx")
    assert messages_of(batch) == [imports.BROKEN_FILE]


def test_a_wrong_template_names_the_missing_columns(world, secretary):
    titles = [column.title for column in imports.COLUMNS]
    renamed = ["身份证号" if title == "公民身份号码" else title for title in titles if title != "所在党支部"]
    batch = secretary.uploaded(plain_file([renamed, ["张三"] * len(renamed)]))
    assert batch.status == ImportStatus.FAILED
    (message,) = messages_of(batch)
    assert message.startswith(
        "第 1 行：不是党员名册导入模板：缺少列「公民身份号码」「所在党支部」，无法识别的列「身份证号」。"
    )


def test_an_empty_template_is_refused(world, secretary):
    batch = secretary.uploaded(roster([], world))
    assert messages_of(batch) == ["文件中没有数据：请从模板第 2 行起，每行填写一名党员。"]


def test_a_formula_cell_is_refused_naming_its_row_and_column(world, secretary):
    people = [person(1), person(2, join_date="=DATE(1990,7,1)")]
    count = Member.objects.count()
    batch = secretary.uploaded(roster(people, world))
    assert batch.status == ImportStatus.FAILED
    assert messages_of(batch) == [
        "第 3 行「入党日期」：单元格是公式，请粘贴为数值（复制后“选择性粘贴 → 数值”）再上传。"
    ]
    assert Member.objects.count() == count


def test_duplicate_id_rows_name_both_rows(world, secretary):
    people = [person(1), person(2), person(3)]
    people[2]["id_number"] = people[0]["id_number"]
    batch = secretary.uploaded(roster(people, world))
    assert batch.status == ImportStatus.FAILED
    assert messages_of(batch) == [
        "第 2 行「公民身份号码」：与第 4 行是同一个公民身份号码：同一人只能填写一行。",
        "第 4 行「公民身份号码」：与第 2 行是同一个公民身份号码：同一人只能填写一行。",
    ]


def test_a_file_over_the_row_limit_is_refused(world, secretary, settings):
    settings.DANGJIAN_IMPORT_MAX_ROWS = 5
    batch = secretary.uploaded(roster([person(number) for number in range(1, 7)], world))
    assert messages_of(batch) == ["文件有 6 行数据，超过单次导入上限 5 行：请拆分成几个文件分批导入。"]


def test_a_file_over_the_size_limit_is_refused_before_it_is_read(world, secretary, settings):
    content = roster([person(1)], world)
    settings.DANGJIAN_IMPORT_MAX_BYTES = len(content) - 1
    response = secretary.upload(content)
    assert response.status_code == 200
    assert "超过单次导入上限" in response.content.decode()
    assert not ImportBatch.objects.exists()


def test_names_that_are_not_in_the_scope_are_named(world, secretary):
    people = [
        person(1, branch="松涛界外支部"),
        person(2, group="第九小组"),
        person(3, categories="在职党员、外星党员"),
        person(4, group="翠湖第一小组"),
    ]
    batch = secretary.uploaded(roster(people, world))
    assert messages_of(batch) == [
        "第 2 行「所在党支部」：找不到党支部「松涛界外支部」：请从下拉列表中选择您权限范围内的党支部。",
        "第 3 行「所在党小组」：所在党支部下没有党小组「第九小组」：请核对党小组名称，或留空。",
        "第 4 行「人员类别」：没有人员类别「外星党员」：可选 "
        + "、".join(MemberCategory.objects.filter(is_active=True).values_list("name", flat=True))
        + "。",
    ]


def test_a_number_registered_outside_the_scope_is_refused_as_on_the_page(world, secretary):
    outside = world.members["B3"]
    batch = secretary.uploaded(roster([person(1, id_number=outside.id_number)], world))
    assert messages_of(batch) == ["第 2 行「公民身份号码」：该公民身份号码已登记在册。"]


# --- One set of rules for the page and the import -----------------------------------------------


def page_errors(world, values: dict[str, Any]) -> dict[str, list[str]]:
    """What the page's form says for the same values, as a person types them."""
    user = world.personas["community_secretary"]
    from dangjian.core import scope

    form = MemberForm(
        data=values,
        branches=selectors.branch_choices(user=user),
        groups=selectors.group_choices(user=user),
        communities=scope.units(user).active().filter(kind="community"),
        categories=selectors.active_categories(),
    )
    assert not form.is_valid()
    return {
        str(form.fields[name].label) if name != "__all__" else "": list(errors) for name, errors in form.errors.items()
    }


def page_values(world, row: dict[str, Any]) -> dict[str, Any]:
    labels = {
        "gender": {"男": "male", "女": "female"},
        "education": {"本科": "bachelor"},
        "membership_type": {"正式党员": "full", "预备党员": "probationary"},
        "standing": {"正常": "normal"},
        "status": {"在册": "active"},
    }
    values = dict(row)
    for name, mapping in labels.items():
        values[name] = mapping.get(values[name], values[name])
    values["branch"] = str(world.units["B1"].pk)
    values["residence_community"] = str(world.units["C1"].pk)
    values["categories"] = []
    for name in ("join_date", "full_member_date"):
        if isinstance(values[name], datetime.date):
            values[name] = values[name].isoformat()
    return values


@pytest.mark.parametrize(
    "overrides",
    [
        {"id_number": "11010119900101123"},  # 17 characters
        {"id_number": "110101199001011230"},  # wrong check digit (fixed below if it happens to be right)
        {"id_number": "110101199013011234"},  # month 13
        {"phone": "12345"},
        {"join_date": datetime.date(2999, 1, 1)},
        {"join_date": datetime.date(1965, 1, 1)},  # under eighteen
        {"full_member_date": ""},  # a full member needs the date
        {"membership_type": "预备党员"},  # a probationary member has none yet
        {"full_member_date": datetime.date(1980, 1, 1)},  # before joining
        {"ethnicity": "汉"},
        {"gender": "男士"},
        {"name": ""},
        {"name": "名" * 51},
        {"join_date": "1990年13月1日"},
        {"registered": True},
    ],
    ids=lambda overrides: next(iter(overrides)),
)
def test_an_import_row_says_what_the_page_says(world, secretary, overrides):
    overrides = dict(overrides)
    row = person(1)
    if overrides.pop("registered", False):  # on the roll of another community
        row["id_number"] = world.members["B2"].id_number
    row.update(overrides)
    if row["id_number"] == "110101199001011230" and not _checksum_wrong(row["id_number"]):
        row["id_number"] = "110101199001011231"
    on_page = page_errors(world, page_values(world, row))
    batch = secretary.uploaded(roster([row], world))
    in_import: dict[str, list[str]] = {}
    for error in batch.errors:
        assert error["row"] == 2
        in_import.setdefault(error["column"], []).append(error["message"])
    assert in_import == on_page


def _checksum_wrong(number: str) -> bool:
    from stdnum.cn import ric
    from stdnum.exceptions import InvalidChecksum

    try:
        ric.validate(number)
    except InvalidChecksum:
        return True
    except Exception:
        return False
    return False


# --- Queries, scope, progress -------------------------------------------------------------------


def test_checking_50_rows_and_500_rows_costs_the_same_queries(world):
    for number in range(1, 11):  # some rows update members already on the roll
        make_member(world.units["B1"], name=f"在册{number}", id_number=person(number)["id_number"])
    counts = []
    for size in (50, 500):
        content = roster([person(number) for number in range(1, size + 1)], world)
        with CaptureQueriesContext(connection) as queries:
            check = imports.check_content(content, root=world.units["C1"])
        assert not check.refused, check.errors[:3]
        assert check.count(imports.UPDATED) == 10
        counts.append(len(queries))
    assert counts[0] == counts[1]
    assert counts[0] <= 6


def test_another_scopes_batch_answers_404(world, login, django_capture_on_commit_callbacks):
    elsewhere = Importer(login(world.personas["district_organizer"]), django_capture_on_commit_callbacks)
    content = imports.write_template(
        root=world.units["D1"], rows=[[person(1, branch="松涛界外支部").get(c.field, "") for c in imports.COLUMNS]]
    )
    batch = elsewhere.uploaded(content, "a.xlsx")
    assert batch.status == ImportStatus.VALIDATED, batch.errors

    secretary = login(world.personas["community_secretary"])
    for name in ("import_batch", "import_progress", "import_errors"):
        assert secretary.get(reverse(f"members:{name}", args=[batch.pk])).status_code == 404
    assert secretary.post(reverse("members:import_confirm", args=[batch.pk])).status_code == 404
    batch.refresh_from_db()
    assert batch.status == ImportStatus.VALIDATED
    assert "a.xlsx" not in secretary.get(reverse("members:import_history")).content.decode()


def test_members_and_residents_cannot_import(world, login):
    for persona in ("member", "resident", "outsider"):
        client = login(world.personas[persona])
        assert client.get(reverse("members:import_start")).status_code == 403
        assert client.get(reverse("members:import_template")).status_code == 403


def test_the_page_polls_while_a_worker_checks_and_writes(world, secretary):
    # No worker has run yet: the upload's and the confirmation's tasks are left queued.
    batch = roster_import_upload(
        file_name="名册.xlsx", content=roster([person(1)], world), by=world.personas["community_secretary"]
    )
    url = reverse("members:import_progress", args=[batch.pk])
    body = secretary.get(url, headers={"HX-Request": "true"}).content.decode()
    assert 'hx-trigger="every 1s"' in body and "正在逐行校验" in body
    assert "<html" not in body
    roster_import_check(batch_id=batch.pk)
    body = secretary.get(url, headers={"HX-Request": "true"}).content.decode()
    assert "every 1s" not in body and "确认导入" in body

    roster_import_confirm(batch=batch, by=world.personas["community_secretary"])
    body = secretary.get(url, headers={"HX-Request": "true"}).content.decode()
    assert 'hx-trigger="every 1s"' in body and "<progress" in body
    roster_import_run(batch_id=batch.pk)
    response = secretary.get(url, headers={"HX-Request": "true"})
    assert "every 1s" not in response.content.decode() and "导入完成" in response.content.decode()
    assert response["HX-Refresh"] == "true"  # the whole page shows the outcome


def test_the_history_lists_who_when_hash_and_counts(world, secretary):
    content = roster([person(1), person(2)], world)
    secretary.confirm(secretary.uploaded(content, "第一批.xlsx"))
    import hashlib

    page = secretary.get(reverse("members:import_history")).content.decode()
    assert "第一批.xlsx" in page
    assert hashlib.sha256(content).hexdigest()[:12] in page
    assert "community_secretary用户" in page
    assert "已导入" in page


def test_the_roster_page_links_to_the_import_for_those_who_manage(world, login):
    assert (
        "导入名册" in login(world.personas["community_secretary"]).get(reverse("members:member_list")).content.decode()
    )


def test_the_history_costs_the_same_queries_for_3_and_30_batches(world, secretary):
    def make(count: int) -> None:
        for number in range(count):
            ImportBatch.objects.create(
                kind=imports.KIND,
                org_unit=world.units["C1"],
                created_by=world.personas["community_secretary"] if number % 2 else world.personas["community_cadre"],
                confirmed_by=world.personas["community_secretary"],
                file_name=f"第{number}批.xlsx",
                file_sha256=f"{number:064d}",
                status=ImportStatus.DONE,
            )

    counts = []
    for count in (3, 27):
        make(count)
        with CaptureQueriesContext(connection) as queries:
            assert secretary.get(reverse("members:import_history")).status_code == 200
            assert secretary.get(reverse("members:import_start")).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]


# --- The write: new rows in batches -------------------------------------------------------------


def test_imported_members_get_the_history_and_categories_the_page_gives_them(world):
    from django.apps import apps

    by = world.personas["community_secretary"]
    check = imports.check_content(roster([person(number) for number in range(1, 4)], world), root=world.units["C1"])
    assert not check.refused
    imports.write_rows(check, by=by)
    member = Member.objects.get(id_number_index=blind_index(person(2)["id_number"]))
    assert member.id_number == person(2)["id_number"] and member.phone == person(2)["phone"]
    assert member.birth_date == datetime.date(1960, 1, 3) and member.name_initials == "drdy2"
    assert member.district == world.units["B1"].district and member.version == 1 and member.created_at
    record = member.history.get()
    assert (record.history_type, record.history_user, record.name) == ("+", by, "导入党员2")
    assert (record.branch_id, record.created_at, record.version) == (member.branch_id, member.created_at, 1)
    assert Member.history.filter(history_type="+").count() == Member.objects.count()
    links = apps.get_model("members", "HistoricalMember_categories").objects.filter(history=record)
    assert sorted(link.membercategory.name for link in links) == ["困难党员", "在职党员"]
    assert sorted(member.categories.values_list("name", flat=True)) == ["困难党员", "在职党员"]


def test_a_number_registered_between_the_check_and_the_write_refuses_every_row_naming_it(world):
    people = [person(number) for number in range(1, 4)]
    check = imports.check_content(roster(people, world), root=world.units["C1"])
    make_member(world.units["B2"], name="抢先登记", id_number=people[1]["id_number"])
    count = Member.objects.count()
    with pytest.raises(imports.RowRefused) as refused:
        imports.write_rows(check, by=None)
    assert [imports.error_sentence(error) for error in refused.value.errors] == [
        "第 3 行「公民身份号码」：该公民身份号码刚刚被他人登记，请核对。"
    ]
    assert Member.objects.count() == count


def test_a_file_with_new_and_existing_members_checks_each_row_with_its_own_form(world):
    """New rows share one set of form fields; a row updating a member gets its own (its
    numbers become optional), so a blank number is refused only on the new rows."""
    existing = make_member(world.units["B1"], name="已在册")
    rows = [
        person(1),
        person(2, id_number=existing.id_number, name="已在册", phone=""),
        person(3, phone=""),
        person(4, id_number=""),
    ]
    check = imports.check_content(roster(rows, world), root=world.units["C1"])
    assert [imports.error_sentence(error) for error in check.errors] == ["第 5 行「公民身份号码」：该字段是必填项。"]


def test_rows_repeating_a_value_each_get_what_the_page_says_of_it(world, secretary):
    """A column's values are checked once per file: a value accepted before is not checked
    again, a value refused is refused again on every row that holds it, with the page's words."""
    bad = {"gender": "男士", "ethnicity": "汉", "join_date": "1990年13月1日"}
    rows = [person(1), person(2, **bad), person(3), person(4, **bad), person(5, name="名" * 51)]
    on_page = page_errors(world, page_values(world, person(2, **bad)))
    batch = secretary.uploaded(roster(rows, world))
    by_row: dict[int, dict[str, list[str]]] = {}
    for error in batch.errors:
        by_row.setdefault(error["row"], {}).setdefault(error["column"], []).append(error["message"])
    long_name = page_errors(world, page_values(world, person(5, name="名" * 51)))
    assert by_row == {3: on_page, 5: on_page, 6: long_name}


def test_each_new_row_gets_its_own_member_with_the_models_defaults(world):
    from django.db.models.signals import post_init

    made: list[Member] = []

    def count(sender, instance, **kwargs):
        made.append(instance)

    rows = [person(1, ethnicity=""), person(2, ethnicity="")]
    check = imports.check_content(roster(rows, world), root=world.units["C1"])
    first, second = (row.built for row in check.rows)
    assert first is not second and first._state is not second._state
    assert (first.ethnicity, first.version, first.name) == ("汉族", 1, "导入党员1")
    assert (second.ethnicity, second.name, first.pk, second.pk) == ("汉族", "导入党员2", None, None)
    # Something listening to members being made sees each row's member made.
    post_init.connect(count, sender=Member)
    try:
        check = imports.check_content(roster(rows, world), root=world.units["C1"])
    finally:
        post_init.disconnect(count, sender=Member)
    assert {id(row.built) for row in check.rows} <= {id(instance) for instance in made}


def test_the_rows_leave_out_of_the_models_checks_what_djangos_form_would(world):
    """The new rows work out once which fields the model's validation skips; each row's answer
    is Django's own for that row."""
    from django import forms

    lookups = imports.load_lookups(world.units["C1"])
    sheet = imports.read_sheet(
        roster([person(1), person(2, gender="男士", full_member_date=""), person(3, name="")], world)
    )
    reader_rows = [row for _, row in sheet.rows]
    from dangjian.members.imports.checking import _RowReader

    reader = _RowReader(sheet, lookups)
    for row in reader_rows:
        data, _ = reader.data(row, None)
        form = imports.RowForm(data=data, lookups=lookups, registered={})
        form.is_valid()
        django_says = forms.ModelForm._get_validation_exclusions(form) | set(imports.RowForm.COLUMN_CHECKED)
        assert form._get_validation_exclusions() == django_says
    assert lookups.exclusion_rule is not None
