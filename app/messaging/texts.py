"""The texts staff work notifications are written in, in one place so they can be translated
(zh-CN is the default; a translation replaces these strings, the code never spells a text)."""

from __future__ import annotations

# The digest's title, and one phrase per kind of work; {n} is how many arrived.
WORK_DIGEST_TITLE = "待办提醒"
WORK_PHRASES = {
    "acceptance": "受理队列新增 {n} 件",
    "review": "新的审查任务 {n} 项",
    "supplement": "补正材料交回 {n} 件",
    "complaint": "部门收到投诉 {n} 件",
}
# Joins the phrases of one digest, and ends it.
WORK_SEPARATOR = "，"
WORK_END = "。"
