"""Bench data: accounts through the services (the way the API creates them), tokens through
the HTTP login, and — once the applications endpoints exist — applications through the API."""

from __future__ import annotations

import json
import urllib.request
import uuid
from typing import Any

from bench.generate import form_value
from bench.service import DB_NAME, Service

PASSWORD = "Bench-password-2026"


def base(service: Service, app: Any, residents: int) -> dict[str, Any]:
    from app.accounts import service as accounts

    phones, user_ids = [], []
    with app.app_context():
        for n in range(residents):
            phone = f"1590000{n:04d}"
            user = accounts.register(
                {
                    "phone": phone,
                    "password": PASSWORD,
                    "name": f"Bench resident {n}",
                    "kind": "person",
                }
            )
            phones.append(phone)
            user_ids.append(str(user["_id"]))
    return {"phones": phones, "user_ids": user_ids}


def http_json(
    url: str,
    method: str = "GET",
    body: Any = None,
    token: str | None = None,
    headers: dict[str, str] | None = None,
) -> tuple[int, Any]:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method)
    request.add_header("Accept", "application/json")
    if data is not None:
        request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    for name, value in (headers or {}).items():
        request.add_header(name, value)
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            raw = response.read()
            return response.status, json.loads(raw) if raw else None
    except urllib.error.HTTPError as error:
        raw = error.read()
        try:
            return error.code, json.loads(raw)
        except ValueError:
            return error.code, raw


def login(service: Service, phone: str, password: str = PASSWORD) -> str:
    status, body = http_json(
        service.url + "/api/v1/auth/login", "POST", {"phone": phone, "password": password}
    )
    if status != 200:
        raise RuntimeError(f"login {phone} failed: {status} {body}")
    return body["access_token"]


def sign_in(service: Service, data: dict[str, Any]) -> None:
    data["resident_tokens"] = [login(service, phone) for phone in data["phones"]]


def available_paths(service: Service) -> set[tuple[str, str]]:
    _, spec = http_json(service.url + "/api/v1/openapi.json")
    return {
        (method, path)
        for path, operations in spec["paths"].items()
        for method in operations
        if method in ("get", "post", "put", "patch", "delete")
    }


def context(service: Service, data: dict[str, Any]) -> dict[str, Any]:
    return {
        "password": PASSWORD,
        "phones": data["phones"],
        "user_ids": data["user_ids"],
        "resident_ids": data["user_ids"],
        "resident_tokens": data["resident_tokens"],
        "mongo_uri": service.mongo_uri,
        "db_name": DB_NAME,
    }


def start(service: Service, app: Any, residents: int, baseline: bool = False) -> dict[str, Any]:
    """RESIDENTS registered, the web processes started, every resident signed in: the
    context every scenario reads."""
    data = base(service, app, residents)
    service.start_web(baseline=baseline)
    service.start_worker()
    sign_in(service, data)
    return context(service, data)


# --- applications (issue 3) -----------------------------------------------------------------

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def upload(service: Service, token: str) -> str:
    boundary = uuid.uuid4().hex
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
            f'filename="scan.pdf"\r\nContent-Type: application/pdf\r\n\r\n'
        ).encode()
        + PDF
        + f"\r\n--{boundary}--\r\n".encode()
    )
    request = urllib.request.Request(service.url + "/api/v1/attachments", data=body, method="POST")
    request.add_header("Content-Type", f"multipart/form-data; boundary={boundary}")
    request.add_header("Authorization", f"Bearer {token}")
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.loads(response.read())["id"]


def _marker_field(matter: dict[str, Any]) -> str | None:
    """A free-text form field that can carry a 32-character key (fault: which key made which
    application)."""
    for field in matter["form"]:
        if (
            field["type"] == "string"
            and not field.get("pattern")
            and field.get("max_length", 100) >= 32
        ):
            return field["key"]
    return None


def choose_matter(service: Service) -> dict[str, Any] | None:
    """A person-audience item with one co-department (submit, accept, two reviews, complete)."""
    status, page = http_json(service.url + "/api/v1/matters?limit=100")
    if status != 200:
        return None
    best = None
    for item in page["items"]:
        if "person" not in item.get("audience", []):
            continue
        _, matter = http_json(f"{service.url}/api/v1/matters/{item['code']}")
        if not isinstance(matter, dict) or _marker_field(matter) is None:
            continue
        if len(matter.get("co_departments") or []) == 1:
            return matter
        best = best or matter
    return best


def staff_account(app: Any, phone: str, department: str, duties: list[str]) -> None:
    from app.accounts import repository as users_repo
    from app.accounts import service as accounts

    with app.app_context():
        if users_repo.find_by_phone(phone) is None:
            accounts.create_user(
                {
                    "phone": phone,
                    "password": PASSWORD,
                    "name": f"Bench staff {department}",
                    "role": "staff",
                    "department": department,
                    "duties": duties,
                }
            )


def prepare_applications(service: Service, app: Any, ctx: dict[str, Any]) -> bool:
    """Staff for the chosen item's departments, one uploaded file per resident, and each
    resident's submission body. False when the catalogue or the endpoints are missing."""
    matter = choose_matter(service)
    if matter is None:
        return False
    lead = matter["lead_department"]
    departments = [lead] + list(matter.get("co_departments") or [])
    staff_account(app, "16000000000", lead, ["window", "reviewer", "head"])
    ctx["window_token"] = ctx["head_token"] = login(service, "16000000000")
    ctx["reviewer_tokens"] = {lead: ctx["window_token"]}
    for n, department in enumerate(departments[1:], start=1):
        staff_account(app, f"160000000{n:02d}", department, ["reviewer"])
        ctx["reviewer_tokens"][department] = login(service, f"160000000{n:02d}")
    ctx["review_departments"] = departments
    marker = _marker_field(matter)
    form = {f["key"]: form_value(f) for f in matter["form"] if f.get("required")}
    form[marker] = "Bench"
    submissions = []
    for token in ctx["resident_tokens"]:
        file_id = upload(service, token)
        materials = [
            {"key": m["key"], "attachment_id": file_id}
            for m in matter["materials"]
            if m.get("required")
        ]
        submissions.append(
            {
                "matter_code": matter["code"],
                "form": form,
                "materials": materials,
                "delivery": matter["delivery"][0],
            }
        )
    ctx.update(
        matter_code=matter["code"],
        submissions=submissions,
        submission=submissions[0],
        marker_field=marker,
    )
    # Try one: a 201 proves the body is right before any timing starts.
    status, body = http_json(
        service.url + "/api/v1/applications",
        "POST",
        submissions[0],
        token=ctx["resident_tokens"][0],
    )
    if status != 201:
        print(f"a trial submission failed ({status}): {body}")
        return False
    return True


def submit_one(service: Service, ctx: dict[str, Any], index: int = 0) -> str:
    status, body = http_json(
        service.url + "/api/v1/applications",
        "POST",
        ctx["submissions"][index],
        token=ctx["resident_tokens"][index],
    )
    if status != 201:
        raise RuntimeError(f"submission failed: {status} {body}")
    return body["id"]


def supervisor_token(service: Service) -> str | None:
    from app.seed import DEMO_PASSWORD

    try:
        return login(service, "13600000001", DEMO_PASSWORD)  # the Hangzhou supervisor
    except RuntimeError:
        return None
