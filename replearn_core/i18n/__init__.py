"""Every string a user reads, in English and 简体中文, looked up by key.

The strings live in one catalogue per language, ``catalogue/en.json`` and ``catalogue/zh.json``: flat
objects from a dotted key (``page.runs.title``, ``method.simclr.summary``) to a text that may hold
``str.format`` placeholders (``{n}``, ``{run_id}``).

Why plain JSON and not gettext ``.po`` or YAML: JSON needs no new dependency (the standard library reads
it; Babel and PyYAML would be two more packages on a classroom laptop), a key lookup is a dict lookup, the
catalogue test compares two dicts, and a teacher who fixes a translation edits one line of a file any
editor can check. gettext's strengths (plural forms, msgid = English text) buy little here: Chinese has no
plural forms, and stable keys survive rewording the English.

English that is declared in code (a method's card, an option's label and help, a strategy, a claim) has its
home there and is not copied into ``en.json``: a caller passes it (:func:`translate_or`), or the registry that
declares it hands it over once at import (:func:`declare`). ``zh.json`` holds its translation under the same key,
and the catalogue test checks every declared text against it (``catalogue_problems(declared)``).

The library never imports Streamlit: :func:`translate` takes the language as an argument, and
``ui/i18n.py`` supplies the page's current language. The command line stays English (``lang="en"``).

>>> translate("page.runs.title", "zh")
'📋 运行记录'
"""

from __future__ import annotations

import functools
import json
import logging
import string
from pathlib import Path

LANGUAGES = {"en": "English", "zh": "简体中文"}  # code → the language's own name, shown in the switch
DEFAULT_LANGUAGE = "en"
CATALOGUE_DIR = Path(__file__).resolve().parent / "catalogue"

_log = logging.getLogger(__name__)


def normalise_language(lang: str | None) -> str:
    """A known language code from a URL value (``zh``, ``zh-CN``, ``EN``); the default for anything else."""
    code = (lang or "").strip().lower().replace("_", "-").split("-")[0]
    return code if code in LANGUAGES else DEFAULT_LANGUAGE


@functools.lru_cache(maxsize=None)
def catalogue(lang: str) -> dict[str, str]:
    """The catalogue of one language as {key: text} (read once per process)."""
    if lang not in LANGUAGES:
        raise ValueError(f"unknown language {lang!r}; known: {', '.join(LANGUAGES)}")
    return json.loads((CATALOGUE_DIR / f"{lang}.json").read_text(encoding="utf-8"))


_DECLARED: dict[str, str] = {}  # key → English declared in code (declare()), beside en.json's own texts


def declare(texts) -> None:
    """Register English texts that live in code under their catalogue keys ({key: text}), so that a lookup by
    key finds them without a copy in ``en.json`` (claims declare their source, setting and explanations so)."""
    _DECLARED.update(texts)


def english(key: str) -> str | None:
    """The English text of ``key``: the catalogue's own, else the one declared in code; None when neither."""
    text = catalogue(DEFAULT_LANGUAGE).get(key)
    return _DECLARED.get(key) if text is None else text


def has_key(key: str, lang: str = DEFAULT_LANGUAGE) -> bool:
    lang = normalise_language(lang)
    return key in catalogue(lang) or (lang == DEFAULT_LANGUAGE and key in _DECLARED)


def translate(key: str, lang: str = DEFAULT_LANGUAGE, /, **params) -> str:
    """The text of ``key`` in ``lang`` with its placeholders filled from ``params``.

    A key missing in ``lang`` falls back to English (logged; the catalogue test fails on it); a key
    missing in English too is a programming error: KeyError.
    """
    lang = normalise_language(lang)
    text = catalogue(lang).get(key)
    if text is None:
        text = english(key)
        if text is None:
            raise KeyError(f"no catalogue entry {key!r}")
        if lang != DEFAULT_LANGUAGE:
            _log.warning("replearn: %r has no %s text; showing English", key, lang)
    return text.format(**params) if params else text


def translate_or(key: str, fallback: str, lang: str = DEFAULT_LANGUAGE, /, **params) -> str:
    """The text of ``key`` in ``lang``, else ``fallback``: how a text declared in code (a card, an option) is
    shown, its English being ``fallback`` itself (``en.json`` keeps no copy), and how a text the catalogue may not
    know yet is shown (a page's title in the navigation: its file name until ``nav.<page>`` is written)."""
    lang = normalise_language(lang)
    if key in catalogue(lang):
        return translate(key, lang, **params)
    return fallback.format(**params) if params else fallback


def placeholders(text: str) -> set[str]:
    """The ``str.format`` fields of a text (``{n}``, ``{acc:.3f}`` → {"n", "acc:.3f"}) plus any ``%s``-style
    ones, so that both languages can be checked to ask for the same values."""
    fields = set()
    for _, name, spec, _ in string.Formatter().parse(text):
        if name is not None:
            fields.add(name + (":" + spec if spec else ""))
    for code in ("%s", "%d", "%r", "%f"):
        if code in text.replace("%%", ""):
            fields.add(code)
    return fields


def catalogue_problems(declared=None) -> list[str]:
    """Every difference between the catalogues: keys missing in a language, empty texts, placeholders that
    differ. Empty when they agree.

    ``declared`` ({key: English}) are the texts declared in code (every card, option and claim, read from the
    registries): each needs its Chinese in ``zh.json`` with the same placeholders, and none may be copied into
    ``en.json``."""
    declared = dict(declared or {})
    copied = sorted(set(catalogue("en")) & set(declared))
    en, zh = {**catalogue("en"), **declared}, catalogue("zh")
    problems = [f"{key}: copied into en.json (its English lives in code)" for key in copied]
    problems += [f"{key}: missing in zh" for key in sorted(set(en) - set(zh))]
    problems += [f"{key}: missing in en" for key in sorted(set(zh) - set(en))]
    for key in sorted(set(en) & set(zh)):
        if not en[key].strip() or not zh[key].strip():
            problems.append(f"{key}: empty text")
        elif placeholders(en[key]) != placeholders(zh[key]):
            problems.append(f"{key}: placeholders differ: en {sorted(placeholders(en[key]))}, "
                            f"zh {sorted(placeholders(zh[key]))}")
    return problems


def message(code: str, lang: str = DEFAULT_LANGUAGE, /, **params) -> str:
    """An engine message by code (``error.<code>``), for exceptions that carry a code (see :class:`CodedError`)."""
    return translate(f"error.{code}", lang, **params)


class Message(str):
    """An engine message that is also a plain English ``str`` (for the command line, logs and the run store)
    and carries its catalogue key ``msg.<code>`` and parameters, so a page can show it in its own language.

    Run warnings and run errors are stored with their code (see ``RunStore.add_warning``) and come back as
    ``Message`` objects; a page calls :func:`message_text` on anything it shows. Parameters are numbers and
    names, never English sentences, so both languages can place them.

    >>> m = Message("warn.batch_too_large", batch=256, n=100)
    >>> m.startswith("The batch size (256)"), message_text(m, "zh").startswith("批大小")
    (True, True)
    """

    code: str
    params: dict

    def __new__(cls, code: str, /, **params) -> "Message":
        self = super().__new__(cls, translate(f"msg.{code}", DEFAULT_LANGUAGE, **_localised(params, DEFAULT_LANGUAGE)))
        self.code, self.params = code, params
        return self

    def text(self, lang: str) -> str:
        """The message in ``lang``; parameters that are messages themselves (a clause, an advice) too."""
        return translate(f"msg.{self.code}", lang, **_localised(self.params, lang))

    def __reduce__(self):  # pickled (Streamlit's caches, Ray) by its code and parameters, not its English text
        return Message.from_json, (self.to_json(),)

    def to_json(self) -> dict:
        return {"code": self.code, "params": {k: _to_json(v) for k, v in self.params.items()}, "text": str(self)}

    @classmethod
    def from_json(cls, value) -> str:
        """Back from :meth:`to_json` (a plain string stays a plain string; an unknown code keeps its text)."""
        if isinstance(value, dict) and "code" in value:
            try:
                params = {k: [cls.from_json(i) for i in v] if isinstance(v, list) else cls.from_json(v)
                          for k, v in (value.get("params") or {}).items()}
                return cls(value["code"], **params)
            except (KeyError, IndexError, ValueError):  # a code of another version of the catalogue
                return str(value.get("text", ""))
        return value


def _localised(params: dict, lang: str) -> dict:
    """Parameters for ``lang``: a message in its text, a list (of messages or texts) joined by "; "."""
    def one(value):
        return value.text(lang) if isinstance(value, Message) else value
    return {k: "; ".join(str(one(item)) for item in v) if isinstance(v, list) else one(v) for k, v in params.items()}


def _to_json(value):
    if isinstance(value, Message):
        return value.to_json()
    return [_to_json(item) for item in value] if isinstance(value, list) else value


def message_of(exc: BaseException) -> str:
    """An exception's text, as the :class:`Message` it was raised with where it was (to be stored with its
    code), else ``str(exc)``."""
    if exc.args and isinstance(exc.args[0], Message):
        return exc.args[0]
    return str(exc)


def message_text(value, lang: str = DEFAULT_LANGUAGE) -> str:
    """What a page shows for a message from the engine: a :class:`Message` or coded error in ``lang``, any
    other text as it is (English)."""
    if isinstance(value, Message):
        return value.text(lang)
    if isinstance(value, BaseException):
        return error_text(value, lang)
    return str(value)


class CodedError(ValueError):
    """A ValueError whose text a page can show in its own language: ``code`` names ``error.<code>`` in the
    catalogues and ``params`` fill it. ``str(exc)`` is the English text, for the command line and logs."""

    def __init__(self, code: str, **params):
        self.code, self.params = code, params
        super().__init__(message(code, DEFAULT_LANGUAGE, **params))

    def text(self, lang: str) -> str:
        return message(self.code, lang, **self.params)


def error_text(exc: BaseException, lang: str = DEFAULT_LANGUAGE) -> str:
    """What a page shows for an engine exception: a coded error in ``lang``; any other one with its
    (English) text after a translated lead, since engine texts built at run time have no catalogue entry."""
    if isinstance(exc, CodedError):
        return exc.text(lang)
    if exc.args and isinstance(exc.args[0], Message):  # any exception raised with a Message as its text
        return exc.args[0].text(lang)
    code = getattr(exc, "code", None)  # a DatasetError (or another engine error) that names its catalogue text
    if isinstance(code, str) and has_key(f"error.{code}"):
        params = dict(getattr(exc, "params", None) or {})
        if "hint" in params:  # a hint is itself a catalogue text
            params["hint"] = message(params["hint"], lang)
        return message(code, lang, **params)
    detail = str(exc.args[0]) if isinstance(exc, KeyError) and exc.args else str(exc)
    return detail if normalise_language(lang) == DEFAULT_LANGUAGE else translate("error.engine", lang, detail=detail)


__all__ = ["CATALOGUE_DIR", "DEFAULT_LANGUAGE", "LANGUAGES", "CodedError", "Message", "catalogue",
           "catalogue_problems", "declare", "english", "error_text", "has_key", "message", "message_of",
           "message_text", "normalise_language", "placeholders", "translate", "translate_or"]
