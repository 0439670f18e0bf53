"""The pure rules of staff work notifications: the summary text, and who wants what."""

from app.messaging import work_rules


def test_the_summary_names_each_kind_that_arrived_in_a_fixed_order():
    title, body = work_rules.summary({"review": 1, "acceptance": 3, "complaint": 0})
    assert title == "待办提醒"
    assert body == "受理队列新增 3 件，新的审查任务 1 项。"


def test_every_kind_is_on_until_turned_off():
    staff = {"role": "staff", "staff_notifications": {"review": False}}
    assert work_rules.wants(staff, "acceptance") and not work_rules.wants(staff, "review")
    assert work_rules.settings_of(staff) == {
        "acceptance": True,
        "review": False,
        "supplement": True,
        "complaint": True,
    }
    assert work_rules.settings_of({"role": "resident"}) is None


def test_a_kind_turned_off_since_it_arrived_is_dropped_from_the_digest():
    account = {"staff_notifications": {"acceptance": False}}
    assert work_rules.kept({"acceptance": 2, "review": 1, "gone": 4}, account) == {"review": 1}
