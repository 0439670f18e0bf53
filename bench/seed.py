"""Bench data: accounts through the services (the way the API creates them), tokens through
the HTTP login, and — once the applications endpoints exist — applications through the API."""

from __future__ import annotations

import argparse
import json
import os
import sys
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


def choose_matter(base_url: str, code: str | None = None) -> dict[str, Any] | None:
    """CODE, else a person-audience item with one co-department (submit, accept, two reviews,
    complete), else any person-audience item with a free-text field."""
    if code:
        status, matter = http_json(f"{base_url}/api/v1/matters/{code}")
        return matter if status == 200 and _marker_field(matter) else None
    status, page = http_json(base_url + "/api/v1/matters?limit=100")
    if status != 200:
        return None
    best = None
    for item in page["items"]:
        if "person" not in item.get("audience", []):
            continue
        _, matter = http_json(f"{base_url}/api/v1/matters/{item['code']}")
        if not isinstance(matter, dict) or _marker_field(matter) is None:
            continue
        if len(matter.get("co_departments") or []) == 1:
            return matter
        best = best or matter
    return best


def staff_phones(matter: dict[str, Any]) -> dict[str, str]:
    """The bench's staff account per department of MATTER, the lead's first (window, reviewer
    and head), then a reviewer per co-department."""
    departments = [matter["lead_department"]] + list(matter.get("co_departments") or [])
    return {
        d: ("16000000000" if n == 0 else f"160000000{n:02d}") for n, d in enumerate(departments)
    }


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


def create_staff(app: Any, matter: dict[str, Any]) -> None:
    for n, (department, phone) in enumerate(staff_phones(matter).items()):
        staff_account(
            app, phone, department, ["window", "reviewer", "head"] if n == 0 else ["reviewer"]
        )


def prepare_applications(service: Service, app: Any, ctx: dict[str, Any]) -> bool:
    """Staff for the chosen item's departments, one uploaded file per resident, and each
    resident's submission body. False when the catalogue or the endpoints are missing."""
    matter = choose_matter(service.url)
    if matter is None:
        return False
    lead = matter["lead_department"]
    staff = staff_phones(matter)
    create_staff(app, matter)
    ctx["window_token"] = ctx["head_token"] = login(service, staff[lead])
    ctx["reviewer_tokens"] = {lead: ctx["window_token"]}
    for department, phone in list(staff.items())[1:]:
        ctx["reviewer_tokens"][department] = login(service, phone)
    ctx["review_departments"] = list(staff)
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


# --- the accounts bench/locustfile.py needs on a deployment -----------------------------------


def seed_accounts(app: Any, base_url: str, residents: int, matter_code: str | None) -> str:
    """Residents 1590000NNNN and the staff of the chosen matter's departments, with PASSWORD;
    existing accounts are left as they are. Returns the matter's code."""
    from app.accounts import repository as users_repo
    from app.accounts import service as accounts

    matter = choose_matter(base_url.rstrip("/"), matter_code)
    if matter is None:
        raise SystemExit(f"no usable service item at {base_url} (BENCH_MATTER={matter_code})")
    with app.app_context():
        for n in range(residents):
            phone = f"1590000{n:04d}"
            if users_repo.find_by_phone(phone) is None:
                accounts.register(
                    {
                        "phone": phone,
                        "password": PASSWORD,
                        "name": f"Bench resident {n}",
                        "kind": "person",
                    }
                )
    create_staff(app, matter)
    return matter["code"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Create the accounts bench/locustfile.py signs in as, in the database this "
        "environment (MONGO_URI, ONEVISIT_*) points at: run it with the deployment's settings."
    )
    parser.add_argument("what", choices=["accounts"])
    parser.add_argument(
        "--url", required=True, help="the deployment's base URL (reads its catalogue)"
    )
    parser.add_argument(
        "--residents", type=int, default=int(os.environ.get("BENCH_RESIDENTS", "40"))
    )
    parser.add_argument(
        "--matter", default=os.environ.get("BENCH_MATTER"), help="a service item code"
    )
    args = parser.parse_args(argv)
    from app import create_app

    code = seed_accounts(create_app(), args.url, args.residents, args.matter)
    print(
        f"{args.residents} residents (1590000NNNN) and the staff of {code} (16000000000, "
        f"160000000NN) exist, password {PASSWORD}; run Locust with BENCH_MATTER={code}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
