"""Languages (API.md "Languages"): which language a request is answered in, the gettext
catalogues every message is translated through, and catalogue names in two languages.

Messages are written once, in English, where they are raised (the English text is the msgid);
`app/translations/zh_Hans_CN/LC_MESSAGES/messages.po` holds their Chinese (zh_Hans_CN is what
Babel calls zh-CN, so flask-babel finds it by itself). A response is answered
in the language negotiated from `Accept-Language` (`zh-CN` by default, or `en`):
  - `message()` translates an error message or a field error: the exact msgid, or else a
    template msgid with `{placeholders}` (our own `N_("No region {region}.").format(...)` and
    marshmallow's formatted validator messages) matched against the text;
  - `render()` renders a notification stored as a template plus its parameters;
  - `localized()` picks a catalogue name `{"zh-CN": ..., "en": ...}`, falling back to zh-CN.
`Content-Language` and `Vary: Accept-Language` go on every response (after_request).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import flask_babel
from babel.support import NullTranslations, Translations
from flask import Flask, Response, has_request_context, request
from flask_babel import Babel, get_translations
from werkzeug.datastructures import Headers

DEFAULT_LANGUAGE = "zh-CN"
LANGUAGES = ("zh-CN", "en")
# Language tag on the wire -> gettext locale of its catalogue (en is the msgid language).
_LOCALES = {"zh-CN": "zh_Hans_CN", "en": "en"}
TRANSLATIONS = Path(__file__).resolve().parent / "translations"
_PLACEHOLDER = re.compile(r"\{(\w*)\}")
# Kept with the request, not on `g`: an app context can outlive one request (the CLI, tests).
_ENVIRON_KEY = "onevisit.language"

babel = Babel()


def N_(message: str) -> str:  # noqa: N802 - the gettext convention for "mark, do not translate"
    """Marks MESSAGE for extraction (`make translations`); it is translated when answered."""
    return message


def locale_of(lang: str) -> str:
    """The gettext/Babel locale of language tag LANG (`zh-CN` -> `zh_Hans_CN`)."""
    return _LOCALES[lang]


def language() -> str:
    """The language of the current response: Accept-Language among LANGUAGES (q-values
    honoured, `zh`/`zh-Hans` count as zh-CN, `en-GB` as en), zh-CN when nothing fits."""
    if not has_request_context():
        return DEFAULT_LANGUAGE
    chosen = request.environ.get(_ENVIRON_KEY)
    if chosen is None:
        chosen = _negotiate(request.headers.get("Accept-Language", ""))
        request.environ[_ENVIRON_KEY] = chosen
    return str(chosen)


def _negotiate(header: str) -> str:
    best, best_q = DEFAULT_LANGUAGE, 0.0
    for part in header.split(",")[:20]:
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        for param in params.split(";"):
            key, _, value = param.strip().partition("=")
            if key.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        primary = tag.strip().lower().split("-")[0]
        match = {"zh": "zh-CN", "en": "en"}.get(primary)
        # Ties keep the earlier entry (the client's own order), as RFC 9110 suggests.
        if match and 0 < quality <= 1 and quality > best_q:
            best, best_q = match, quality
    return best


def _locale() -> str:
    return _LOCALES[language()]


def localized(name: Any, lang: str | None = None) -> Any:
    """The one name of a catalogue record in LANG (the request's language by default): a
    stored `{"zh-CN": ..., "en": ...}` answers its LANG entry, else its zh-CN one."""
    if not isinstance(name, dict):
        return name
    lang = lang or language()
    return name.get(lang) or name.get(DEFAULT_LANGUAGE) or next(iter(name.values()), None)


def names(value: Any, legacy_zh: str | None = None) -> dict[str, str]:
    """A written name as stored: a plain string is the zh-CN name; `{"zh-CN", "en"}` as given.
    LEGACY_ZH is the older `name_zh` field: then the plain name is the English one."""
    if isinstance(value, dict):
        return {lang: value[lang] for lang in LANGUAGES if value.get(lang)}
    if legacy_zh:
        return {"zh-CN": legacy_zh, "en": value}
    return {"zh-CN": value}


# ---------------------------------------------------------------- translating messages

_Template = tuple[re.Pattern[str], str, list[str]]
_templates: dict[str, list[_Template]] = {}


def _fill(template: str, values: dict[str, Any]) -> str:
    return _PLACEHOLDER.sub(lambda m: str(values.get(m.group(1), m.group(0))), template)


def _template_table(locale: str, catalog: dict[Any, str]) -> list[_Template]:
    table = _templates.get(locale)
    if table is None:
        table = []
        for msgid, msgstr in catalog.items():
            if not isinstance(msgid, str) or not msgstr or "{" not in msgid:
                continue
            keys = _PLACEHOLDER.findall(msgid)
            if not keys:
                continue
            pieces = _PLACEHOLDER.split(msgid)[::2]
            pattern = "(.+?)".join(re.escape(piece) for piece in pieces)
            table.append((re.compile(f"^{pattern}$", re.DOTALL), msgstr, keys))
        _templates[locale] = table
    return table


def message(text: Any) -> Any:
    """TEXT (an English message) in the response's language; anything else as it is."""
    if not isinstance(text, str) or not text or _locale() == "en":
        return text
    translations = get_translations()
    catalog: dict[Any, str] = getattr(translations, "_catalog", {})
    found = catalog.get(text)
    if found:
        return found
    for pattern, msgstr, keys in _template_table(_locale(), catalog):
        matched = pattern.match(text)
        if matched:
            return _fill(msgstr, dict(zip(keys, matched.groups(), strict=True)))
    return text


def messages(errors: Any) -> Any:
    """Every message of a (nested) field-error structure translated; keys stay as they are."""
    if isinstance(errors, dict):
        return {key: messages(value) for key, value in errors.items()}
    if isinstance(errors, list | tuple):
        return [messages(item) for item in errors]
    return message(errors)


def render(template: str, params: dict[str, Any] | None, lang: str | None = None) -> str:
    """A notification text stored as TEMPLATE (an English msgid with `{placeholders}`) and its
    PARAMS, in LANG; catalogue names among the params are picked in LANG too."""
    lang = lang or language()
    text = template
    if lang != "en":
        translations = _catalogue(_LOCALES[lang])
        text = translations.gettext(template)
    if not params:
        return text
    return _fill(text, {key: localized(value, lang) for key, value in params.items()})


_loaded: dict[str, NullTranslations] = {}


def _catalogue(locale: str) -> NullTranslations:
    """The catalogue of LOCALE outside a request's negotiation (pushes rendered by the worker)."""
    if locale not in _loaded:
        _loaded[locale] = Translations.load(str(TRANSLATIONS), [locale])
    return _loaded[locale]


# ---------------------------------------------------------------- wiring


def content_language(response: Response) -> Response:
    """after_request: every response says its language, and that it varies with the ask."""
    response.headers["Content-Language"] = language()
    response.vary.add("Accept-Language")
    return response


class LanguageResponse(Response):
    """Werkzeug strips Content-Language from a 304 (an RFC 2616 entity header); we keep it: a
    cache that stored the language-varied 200 updates from the 304 (RFC 9110 15.4.5)."""

    def get_wsgi_headers(self, environ: Any) -> Headers:
        headers = super().get_wsgi_headers(environ)
        if self.status_code == 304 and "Content-Language" in self.headers:
            headers["Content-Language"] = self.headers["Content-Language"]
        return headers


def _fresh_locale() -> None:
    """before_request: flask-babel caches the locale on `g`; each request negotiates anew."""
    flask_babel.refresh()


def init_app(app: Flask) -> None:
    app.response_class = LanguageResponse
    app.before_request(_fresh_locale)
    babel.init_app(
        app,
        locale_selector=_locale,
        default_locale="zh_Hans_CN",
        default_translation_directories=str(TRANSLATIONS),
    )
    app.after_request(content_language)
