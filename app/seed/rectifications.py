"""Demo good-or-bad ratings answered: Qiantang Software withdrew two company set-ups and rated
them badly; the AMR head called back and resolved the first (the company then rated it 4),
and appealed the second, which the Hangzhou supervisor upheld (the rating leaves the KPIs)."""

from __future__ import annotations

from app import outbox
from app.seed.applications import _principal, _upload


def _relay() -> None:
    while outbox.relay(500)["applied"]:
        pass


def seed_rectifications() -> None:
    from app.applications import service as applications
    from app.rectifications import service as rectifications

    enterprise = _principal("13800000002")
    head = _principal("13700000002")
    supervisor = _principal("13600000001")
    if rectifications.repo.coll().count_documents({}):
        return
    rated = []
    for name, comment in (
        ("Xixi Cloud Co., Ltd.", "窗口没有一次性告知需要的材料"),
        ("Xixi Print Co., Ltd.", "等了很久"),
    ):
        case = applications.submit(
            enterprise,
            {
                "matter_code": "ZJ-COMPANY-SETUP",
                "form": {
                    "company_name": name,
                    "registered_capital": 100000,
                    "business_scope": "software",
                    "start_date": "2026-12-01",
                },
                "materials": [
                    {"key": "articles", "attachment_id": _upload(enterprise, "articles.pdf")},
                    {
                        "key": "legal_rep_id",
                        "attachment_id": _upload(enterprise, "legal-rep-id.pdf"),
                    },
                ],
                "delivery": "electronic",
            },
        )
        applications.withdraw(enterprise, case["_id"], None)
        after = applications.rate(
            enterprise, case["_id"], {"score": 1, "comment": comment, "tags": ["多跑"]}, None
        )
        rated.append(after)
    _relay()  # the ratings' rectifications are filed by the relay
    resolved, appealed = (str(case["rating"]["rectification_id"]) for case in rated)
    rectifications.callback(head, resolved, "已电话回访企业，材料清单已补充说明", None)
    rectifications.resolve(head, resolved, "窗口材料清单已更新并一次性告知", None)
    _relay()
    applications.rate(enterprise, rated[0]["_id"], {"score": 4, "comment": "改进了"}, None)
    rectifications.appeal(head, appealed, "企业自行撤回申请，等待时间与窗口服务无关", None)
    rectifications.decide_appeal(supervisor, appealed, True, "经核实，差评与服务无关", None)
