#!/usr/bin/env python3
"""Consistency checker for the OneVisit seed data (stdlib only).

Usage: python3 app/seed/data/check_data.py   -> prints OK or lists every problem and exits 1.
"""

import json
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))

LEVELS = {"province", "city", "county"}
DEPT_PREFIXES = {
    "AMR",
    "TAX",
    "SI",
    "HRSS",
    "MEDINS",
    "NR",
    "CA",
    "PSB",
    "HEALTH",
    "EDU",
    "HOTLINE",
    "MED",
}
DEPT_KINDS = {"government", "hotline", "mediation"}
CATEGORIES = {
    "birth",
    "schooling",
    "marriage",
    "employment",
    "medical",
    "pension",
    "funeral",
    "company",
    "real_estate",
    "exit_entry",
    "tax",
    "social_insurance",
    "household",
}
AUDIENCES = {"person", "enterprise"}
DELIVERY = {"electronic", "post", "counter"}
TIME_UNITS = {"working_days", "hours"}
CERT_TYPES = {
    "resident_id_card",
    "household_register",
    "business_licence",
    "marriage_certificate",
    "birth_medical_certificate",
    "real_estate_certificate",
    "social_security_card",
    "passport",
    "death_certificate",
    "retirement_certificate",
    "unemployment_certificate",
    "divorce_certificate",
    "tax_registration_certificate",
    "residence_permit",
    "deregistration_notice",
    "travel_permit",
    "mortgage_certificate",
    "employment_registration_certificate",
    "individual_business_licence",
    "enrolment_notice",
    "funeral_subsidy_decision",
    "medical_reimbursement_decision",
    "pension_approval",
    "social_insurance_transfer_certificate",
    "invoice_approval",
}
FIELD_TYPES = {"string", "number", "integer", "boolean", "date", "choice"}
FIELD_KEYS = {"key", "label", "type", "required", "min", "max", "max_length", "pattern", "choices"}
MATTER_KEYS = {
    "code",
    "name",
    "category",
    "audience",
    "region",
    "lead_department",
    "co_departments",
    "materials",
    "form",
    "time_limit",
    "max_visits",
    "fee",
    "delivery",
    "issues_certificate",
    "description",
}
MATERIAL_KEYS = {"key", "name", "required", "certificate_type", "deferrable", "commitment"}
OPEN311_DATATYPES = {"string", "number", "datetime", "text", "singlevaluelist", "multivaluelist"}
SNAKE = re.compile(r"^[a-z][a-z0-9_]*$")
MATTER_CODE = re.compile(r"^ZJ-[A-Z0-9]+(-[A-Z0-9]+)*$")
REGION_CODE = re.compile(r"^\d{6}$")
HAS_CJK = re.compile(r"[\u4e00-\u9fff]")

CITIES = {
    "330100",
    "330200",
    "330300",
    "330400",
    "330500",
    "330600",
    "330700",
    "330800",
    "330900",
    "331000",
    "331100",
}
REQUIRED_COUNTIES = {
    "330102",
    "330106",
    "330108",
    "330122",
    "330127",
    "330203",
    "330281",
    "330302",
    "330782",
}
REQUIRED_DEPTS = (
    [f"{p}-330100" for p in DEPT_PREFIXES]
    + [f"{p}-330000" for p in ("AMR", "TAX", "HRSS", "HOTLINE", "MED")]
    + [
        f"{p}-{r}"
        for r in ("330200", "330122")
        for p in ("AMR", "TAX", "SI", "NR", "CA", "PSB", "HOTLINE", "MED")
    ]
)
REQUIRED_COMPLAINTS = {
    "noise",
    "road_damage",
    "environment_pollution",
    "food_safety",
    "consumer_rights",
    "wage_arrears",
    "property_management",
    "neighbour_dispute",
    "government_service",
    "public_transport",
    "illegal_construction",
    "streetlight",
}

errors = []


def err(msg):
    errors.append(msg)


def load(name):
    path = os.path.join(HERE, name)
    with open(path, encoding="utf-8") as fh:
        raw = fh.read()
    data = json.loads(raw)
    if not isinstance(data, list):
        err(f"{name}: top level must be a list")
        return []
    return data


def is_num(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def is_int(v):
    return isinstance(v, int) and not isinstance(v, bool)


def nonempty_str(v):
    return isinstance(v, str) and v.strip() != ""


def bilingual(v):
    """A name in both languages: {"zh-CN": Chinese characters, "en": text}."""
    return (
        isinstance(v, dict)
        and set(v) == {"zh-CN", "en"}
        and nonempty_str(v["en"])
        and bool(HAS_CJK.search(v["zh-CN"] or ""))
    )


def unique(items, what, file):
    seen = set()
    for c in items:
        if c in seen:
            err(f"{file}: duplicate {what} {c!r}")
        seen.add(c)
    return seen


# ---------------------------------------------------------------- regions
regions = load("regions.json")
region_by_code = {}
unique([r.get("code") for r in regions], "region code", "regions.json")
for r in regions:
    c = r.get("code")
    if set(r) != {"code", "name", "parent", "level"}:
        err(f"region {c}: keys {sorted(r)}")
    if not isinstance(c, str) or not REGION_CODE.match(c):
        err(f"region {c!r}: code must be 6 digits")
        continue
    if not bilingual(r.get("name")):
        err(f"region {c}: name in zh-CN and en missing")
    if r.get("level") not in LEVELS:
        err(f"region {c}: bad level {r.get('level')!r}")
    region_by_code[c] = r

for c, r in region_by_code.items():
    lvl, parent = r.get("level"), r.get("parent")
    if lvl == "province":
        if parent is not None or c != "330000":
            err(f"region {c}: province must be 330000 with parent null")
        continue
    if parent not in region_by_code:
        err(f"region {c}: parent {parent!r} does not exist")
        continue
    plvl = region_by_code[parent]["level"]
    if lvl == "city":
        if plvl != "province" or not c.endswith("00") or c[:2] != parent[:2]:
            err(f"region {c}: city must hang under the province and end in 00")
    elif lvl == "county":
        if plvl != "city" or c[:4] != parent[:4] or c.endswith("00"):
            err(f"region {c}: county must hang under its city (same first 4 digits)")

if "330000" not in region_by_code:
    err("regions: Zhejiang 330000 missing")
missing = CITIES - {c for c, r in region_by_code.items() if r.get("level") == "city"}
if missing:
    err(f"regions: cities missing {sorted(missing)}")
missing = REQUIRED_COUNTIES - {c for c, r in region_by_code.items() if r.get("level") == "county"}
if missing:
    err(f"regions: counties missing {sorted(missing)}")
if sum(1 for r in regions if r.get("level") == "county") < 8:
    err("regions: need at least 8 counties/districts")

# ---------------------------------------------------------------- departments
departments = load("departments.json")
dept_by_code = {}
unique([d.get("code") for d in departments], "department code", "departments.json")
for d in departments:
    c = d.get("code")
    if set(d) != {"code", "name", "region", "kind"}:
        err(f"department {c}: keys {sorted(d)}")
    if not isinstance(c, str) or "-" not in c:
        err(f"department {c!r}: bad code")
        continue
    prefix, _, reg = c.partition("-")
    if prefix not in DEPT_PREFIXES:
        err(f"department {c}: unknown prefix {prefix}")
    if reg != d.get("region"):
        err(f"department {c}: code suffix does not match region {d.get('region')}")
    if d.get("region") not in region_by_code:
        err(f"department {c}: region {d.get('region')} does not exist")
    kind = d.get("kind")
    if kind not in DEPT_KINDS:
        err(f"department {c}: bad kind {kind!r}")
    expected = {"HOTLINE": "hotline", "MED": "mediation"}.get(prefix, "government")
    if kind != expected:
        err(f"department {c}: kind should be {expected}")
    if not bilingual(d.get("name")):
        err(f"department {c}: name in zh-CN and en missing")
    dept_by_code[c] = d
for c in REQUIRED_DEPTS:
    if c not in dept_by_code:
        err(f"departments: required department {c} missing")

# ---------------------------------------------------------------- matters


def check_field(mc, fld):
    k = fld.get("key")
    where = f"matter {mc} form field {k!r}"
    extra = set(fld) - FIELD_KEYS
    if extra:
        err(f"{where}: unknown keys {sorted(extra)}")
    for req in ("key", "label", "type", "required"):
        if req not in fld:
            err(f"{where}: missing {req}")
    if not isinstance(k, str) or not SNAKE.match(k):
        err(f"{where}: key must be snake_case")
    if not nonempty_str(fld.get("label")):
        err(f"{where}: label missing")
    if not isinstance(fld.get("required"), bool):
        err(f"{where}: required must be boolean")
    t = fld.get("type")
    if t not in FIELD_TYPES:
        err(f"{where}: bad type {t!r}")
        return
    for b in ("min", "max"):
        if b in fld:
            if t not in ("number", "integer"):
                err(f"{where}: {b} only for number/integer")
            elif not is_num(fld[b]) or (t == "integer" and not is_int(fld[b])):
                err(f"{where}: {b} must be numeric")
    if is_num(fld.get("min")) and is_num(fld.get("max")) and fld["min"] > fld["max"]:
        err(f"{where}: min > max")
    if "max_length" in fld and (
        t != "string" or not is_int(fld["max_length"]) or fld["max_length"] < 1
    ):
        err(f"{where}: max_length only for string, positive integer")
    if "pattern" in fld:
        if t != "string" or not isinstance(fld["pattern"], str):
            err(f"{where}: pattern only for string")
        else:
            try:
                re.compile(fld["pattern"])
            except re.error as e:
                err(f"{where}: bad pattern ({e})")
            if not (fld["pattern"].startswith("^") and fld["pattern"].endswith("$")):
                err(f"{where}: pattern should be anchored ^...$")
    if t == "choice":
        ch = fld.get("choices")
        if (
            not isinstance(ch, list)
            or len(ch) < 2
            or not all(nonempty_str(x) for x in ch)
            or len(set(ch)) != len(ch)
        ):
            err(f"{where}: choice needs >= 2 unique string choices")
    elif "choices" in fld:
        err(f"{where}: choices only for type choice")


matters = load("matters.json")
unique([m.get("code") for m in matters], "matter code", "matters.json")
if len(matters) < 32:
    err(f"matters: only {len(matters)} (need >= 32)")
zero = sum(1 for m in matters if m.get("max_visits") == 0)
if zero < 22:
    err(f"matters: only {zero} with max_visits 0 (need >= 22)")
for m in matters:
    mc = m.get("code")
    if set(m) - {"auto_approval"} != MATTER_KEYS:  # instant-approval rules are optional
        err(
            f"matter {mc}: keys differ: missing {sorted(MATTER_KEYS - set(m))}, extra {sorted(set(m) - MATTER_KEYS)}"
        )
    if not isinstance(mc, str) or not MATTER_CODE.match(mc):
        err(f"matter {mc!r}: code must be ZJ-UPPERCASE")
    if not bilingual(m.get("name")) or not nonempty_str(m.get("description")):
        err(f"matter {mc}: name in zh-CN and en / description missing")
    if m.get("category") not in CATEGORIES:
        err(f"matter {mc}: bad category {m.get('category')!r}")
    aud = m.get("audience")
    if (
        not isinstance(aud, list)
        or not aud
        or not set(aud) <= AUDIENCES
        or len(set(aud)) != len(aud)
    ):
        err(f"matter {mc}: bad audience {aud!r}")
    region = m.get("region")
    if region not in region_by_code:
        err(f"matter {mc}: region {region!r} does not exist")
    lead = m.get("lead_department")
    co = m.get("co_departments")
    if not isinstance(co, list):
        err(f"matter {mc}: co_departments must be a list")
        co = []
    if lead in co or len(set(co)) != len(co):
        err(f"matter {mc}: co_departments repeat or include the lead")
    for dc in [lead] + co:
        d = dept_by_code.get(dc)
        if d is None:
            err(f"matter {mc}: department {dc!r} does not exist")
        elif d["region"] != region:
            err(f"matter {mc}: department {dc} is in {d['region']}, matter in {region}")
        elif d["kind"] != "government":
            err(f"matter {mc}: department {dc} is not a government department")
    mats = m.get("materials")
    if not isinstance(mats, list) or not mats:
        err(f"matter {mc}: materials must be a non-empty list")
        mats = []
    unique([x.get("key") for x in mats], "material key in " + str(mc), "matters.json")
    if not any(x.get("required") is True for x in mats):
        err(f"matter {mc}: no required material")
    for x in mats:
        if set(x) - MATERIAL_KEYS or not {"key", "name", "required"} <= set(x):
            err(f"matter {mc} material {x.get('key')!r}: keys {sorted(x)}")
        if not isinstance(x.get("key"), str) or not SNAKE.match(x.get("key")):
            err(f"matter {mc} material {x.get('key')!r}: key must be snake_case")
        if not nonempty_str(x.get("name")) or not isinstance(x.get("required"), bool):
            err(f"matter {mc} material {x.get('key')!r}: name / required")
        if "deferrable" in x and (x["deferrable"] is not True or x.get("required") is not True):
            err(f"matter {mc} material {x.get('key')!r}: only a required material is deferrable")
        if "commitment" in x:
            terms = x["commitment"]
            if (
                not isinstance(terms, dict)
                or set(terms) != {"text", "version"}
                or not nonempty_str(terms.get("text"))
                or not isinstance(terms.get("version"), int)
                or terms["version"] < 1
            ):
                err(f"matter {mc} material {x.get('key')!r}: commitment needs text and version")
        if "certificate_type" in x and x["certificate_type"] not in CERT_TYPES:
            err(
                f"matter {mc} material {x.get('key')!r}: bad certificate_type {x['certificate_type']!r}"
            )
    form = m.get("form")
    if not isinstance(form, list) or not 2 <= len(form) <= 6:
        err(f"matter {mc}: form must have 2-6 fields")
        form = form if isinstance(form, list) else []
    unique([x.get("key") for x in form], "form key in " + str(mc), "matters.json")
    for fld in form:
        check_field(mc, fld)
    tl = m.get("time_limit")
    if (
        not isinstance(tl, dict)
        or set(tl) != {"value", "unit"}
        or tl.get("unit") not in TIME_UNITS
        or not is_int(tl.get("value"))
        or tl.get("value") < 1
    ):
        err(f"matter {mc}: bad time_limit {tl!r}")
    if m.get("max_visits") not in (0, 1) or isinstance(m.get("max_visits"), bool):
        err(f"matter {mc}: max_visits must be 0 or 1")
    fee = m.get("fee")
    if not is_num(fee) or fee < 0:
        err(f"matter {mc}: bad fee {fee!r}")
    dl = m.get("delivery")
    if not isinstance(dl, list) or not dl or not set(dl) <= DELIVERY or len(set(dl)) != len(dl):
        err(f"matter {mc}: bad delivery {dl!r}")
    ic = m.get("issues_certificate")
    if ic is not None and ic not in CERT_TYPES:
        err(f"matter {mc}: bad issues_certificate {ic!r}")

used = {m.get("category") for m in matters}
if used != CATEGORIES:
    err(f"matters: categories never used {sorted(CATEGORIES - used)}")
for reg in ("330000", "330100", "330200", "330122"):
    if not any(m.get("region") == reg for m in matters):
        err(f"matters: none in region {reg}")

# the API.md example, field by field
by_code = {m.get("code"): m for m in matters}
cs = by_code.get("ZJ-COMPANY-SETUP")
if cs is None:
    err("matters: ZJ-COMPANY-SETUP missing")
else:
    expect = {
        "name": {"zh-CN": "企业开办（设立登记）一件事", "en": "Company establishment registration"},
        "category": "company",
        "audience": ["enterprise"],
        "lead_department": "AMR-330100",
        "co_departments": ["TAX-330100", "SI-330100"],
        "time_limit": {"value": 1, "unit": "working_days"},
        "max_visits": 0,
        "fee": 0,
        "delivery": ["electronic", "post"],
        "issues_certificate": "business_licence",
    }
    for k, v in expect.items():
        if cs.get(k) != v:
            err(f"ZJ-COMPANY-SETUP: {k} is {cs.get(k)!r}, API.md says {v!r}")
    mats = {x["key"]: x for x in cs.get("materials", [])}
    if mats.get("articles", {}).get("required") is not True:
        err("ZJ-COMPANY-SETUP: material 'articles' must be required")
    if mats.get("legal_rep_id", {}).get("certificate_type") != "resident_id_card":
        err("ZJ-COMPANY-SETUP: material 'legal_rep_id' must take a resident_id_card")
    required_keys = {k for k, x in mats.items() if x.get("required")}
    if required_keys != {"articles", "legal_rep_id"}:
        err(
            f"ZJ-COMPANY-SETUP: the API.md example application supplies only articles and legal_rep_id, "
            f"but required materials are {sorted(required_keys)}"
        )
    fields = {x["key"]: x for x in cs.get("form", [])}
    for k, t in (
        ("company_name", "string"),
        ("registered_capital", "number"),
        ("business_scope", "choice"),
        ("start_date", "date"),
    ):
        if fields.get(k, {}).get("type") != t:
            err(f"ZJ-COMPANY-SETUP: form field {k} must be {t}")
    if "software" not in fields.get("business_scope", {}).get("choices", []):
        err("ZJ-COMPANY-SETUP: business_scope must allow 'software' (API.md example application)")

re_t = by_code.get("ZJ-RE-TRANSFER")
if re_t is None:
    err("matters: ZJ-RE-TRANSFER missing")
elif (
    re_t.get("time_limit") != {"value": 1, "unit": "hours"}
    or re_t.get("lead_department") != "NR-330100"
    or "TAX-330100" not in re_t.get("co_departments", [])
):
    err("ZJ-RE-TRANSFER: must be 1 hour, lead NR-330100, co TAX-330100")

# ---------------------------------------------------------------- complaint categories
cats = load("complaint_categories.json")
unique([c.get("code") for c in cats], "complaint category code", "complaint_categories.json")
if not 10 <= len(cats) <= 14:
    err(f"complaint categories: {len(cats)} (need 10-14)")
missing = REQUIRED_COMPLAINTS - {c.get("code") for c in cats}
if missing:
    err(f"complaint categories missing {sorted(missing)}")
CAT_KEYS = {
    "code",
    "name",
    "time_limit_days",
    "default_department",
    "description",
    "questions",
}
for c in cats:
    cc = c.get("code")
    if set(c) != CAT_KEYS:
        err(f"complaint category {cc}: keys {sorted(c)}")
    if not isinstance(cc, str) or not SNAKE.match(cc):
        err(f"complaint category {cc!r}: code must be snake_case")
    if not bilingual(c.get("name")) or not nonempty_str(c.get("description")):
        err(f"complaint category {cc}: name in zh-CN and en / description missing")
    tld = c.get("time_limit_days")
    if not is_int(tld) or not 1 <= tld <= 15:
        err(f"complaint category {cc}: bad time_limit_days {tld!r}")
    dd = c.get("default_department")
    if dd not in dept_by_code:
        err(f"complaint category {cc}: default_department {dd!r} does not exist")
    if cc == "neighbour_dispute" and dd != "MED-330100":
        err("neighbour_dispute must default to MED-330100")
    qs = c.get("questions")
    if not isinstance(qs, list):
        err(f"complaint category {cc}: questions must be a list")
        continue
    unique([q.get("code") for q in qs], f"question code in {cc}", "complaint_categories.json")
    for q in qs:
        qc = q.get("code")
        where = f"complaint category {cc} question {qc!r}"
        allowed = {"code", "datatype", "required", "description", "values"}
        if set(q) - allowed or not {"code", "datatype", "required", "description"} <= set(q):
            err(f"{where}: keys {sorted(q)}")
        if not isinstance(qc, str) or not SNAKE.match(qc):
            err(f"{where}: code must be snake_case")
        if q.get("datatype") not in OPEN311_DATATYPES:
            err(f"{where}: bad datatype {q.get('datatype')!r}")
        if not isinstance(q.get("required"), bool) or not nonempty_str(q.get("description")):
            err(f"{where}: required / description")
        if q.get("datatype") in ("singlevaluelist", "multivaluelist"):
            vals = q.get("values")
            if (
                not isinstance(vals, list)
                or len(vals) < 2
                or any(
                    set(v) != {"key", "name"}
                    or not nonempty_str(v.get("key"))
                    or not nonempty_str(v.get("name"))
                    for v in vals
                )
            ):
                err(f"{where}: list datatypes need >= 2 values of {{key, name}}")
            elif len({v["key"] for v in vals}) != len(vals):
                err(f"{where}: duplicate value keys")
        elif "values" in q:
            err(f"{where}: values only for list datatypes")

if errors:
    for e in errors:
        print("FAIL:", e)
    print(f"{len(errors)} problem(s)")
    sys.exit(1)
print(
    f"OK: {len(regions)} regions, {len(departments)} departments, {len(matters)} matters "
    f"({zero} with max_visits 0), {len(cats)} complaint categories"
)
