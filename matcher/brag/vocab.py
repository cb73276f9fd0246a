"""Vocabulary and regexes of the brag splitter (all anchored or bounded, so none can backtrack)."""

from __future__ import annotations

import re

from ..text import collapse_ws, reduce_markdown

# Markdown and quote characters that may wrap the start or end of a word.
_OPENERS = "*_[(`~\"'“‘«"
_CLOSERS = "*_])`~\"'”’»"
_QUOTES = "\"'“‘«"
_TERMINAL = ".!?"


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Abbreviations whose full stop never ends a sentence.
_ABBREVIATIONS = _words(
    "e.g. i.e. vs. v. approx. appr. cf. viz. ca. incl. excl. esp. resp. dr. mr. mrs. ms. mx. "
    "prof. st. ph.d. w.r.t. a.k.a."
)
# Abbreviations that do not end a sentence when a number follows ("No. 5", "approx. 30%").
_BEFORE_NUMBER = _words(
    "no. nos. nr. p. pp. fig. figs. vol. ch. sec. art. ver. rev. est. min. max. avg. c. op. wk. "
    "jan. feb. mar. apr. jun. jul. aug. sep. sept. oct. nov. dec."
)
_DOTTED = re.compile(r"(?:[a-z]\.){2,}")  # u.s., a.m., e.g. written without a known spelling

# A line ending in one of these words (or characters) is wrapped: the next line continues it.
_CONTINUATION_WORDS = _words(
    "a an the and or but nor so to of in on at by for from with without into onto over under "
    "about as than that which who whose whom where when while because since after before until "
    "via per i we my our their his her its is are was were be been has have had will would could "
    "should can then both each every all this these those also not more most very w/"
)
_CONTINUATION_CHARS = ",;:-–—/(&+"

# First words of review-tool prompts ("Describe your biggest accomplishment.").
_PROMPT_WORDS = _words(
    "describe list share explain summarize summarise outline reflect provide tell please give identify"
)
# Past-tense verbs that start accomplishments, so a short line starting with one is not a title.
_PAST_VERBS = _words(
    "led built ran wrote made took set cut got won drove gave grew hired sold began broke brought "
    "caught chose did found held kept met put read saw sent spent taught told went"
)
_INTERROGATIVES = _words(
    "what how which where when why who whom whose did do does have has had is are was were can could would should will"
)

_BULLET_CHARS = frozenset("•‣⁃◦·∙▪▫●○◆◇■□►▸▹▻➤➢➔→⇒✓✔✗✘☐☑☒–—")
_EMOJI_JOINERS = frozenset("\ufe0f\ufe0e\u200d\u20e3")

# Limits that keep label checks cheap: a label is a short line.
_LABEL_MAX = 300
_PREFIX_WINDOW = 80
# A line of a non-bulleted block this long with several sentences is prose, not a log entry.
_LOG_LINE_MAX = 250

# ---------------------------------------------------------------------------------------------
# Regexes (all anchored or bounded, so none can backtrack catastrophically)
# ---------------------------------------------------------------------------------------------

_MONTH = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
)
_WEEKDAY = (
    r"(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday"
    r"|mon|tues?|wed|thu(?:rs?)?|fri|sat|sun)\.?"
)
_DAY = r"\d{1,2}(?:st|nd|rd|th)?"
_TIME = r"\d{1,2}:\d{2}(?::\d{2})?(?:\s?[ap]\.?m\.?)?"
_DATE = (
    rf"(?:{_WEEKDAY},?\s+)?"
    rf"(?:\d{{4}}[-/.]\d{{1,2}}[-/.]\d{{1,2}}|\d{{1,2}}[/.]\d{{1,2}}[/.]\d{{2,4}}"
    rf"|{_MONTH}\s{_DAY}(?:,?\s\d{{4}})?|{_DAY}\s{_MONTH}(?:,?\s\d{{4}})?)"
    rf"(?:(?:T|\s|,\s)[\[(]?{_TIME}[\])]?)?"
)
# Short forms that only count as a prefix when a separator follows ("Monday: ...", "10/12 - ...").
_WEAK_DATE = rf"(?:{_WEEKDAY}|\d{{1,2}}/\d{{1,2}}|(?:w|wk|week)\s?\d{{1,2}}|day\s?\d{{1,3}})"
_EMPH = r"(?:\*\*|__|\*|_)?"
_NAME = r"[^\W\d_][\w.'’\-]{0,30}(?: [^\W\d_][\w.'’\-]{0,30}){0,3}"
_SPEAKER = r"[^\W\d_][\w.'’\-]{0,30}(?: [^\W\d_][\w.'’\-]{0,30})?"
_LOG_PREFIX = re.compile(
    rf"{_EMPH}[\[(]?(?:"
    rf"(?:{_DATE}|{_TIME})[\])]?{_EMPH}(?=[\s:\-–—|,.)\]]|$)"
    rf"|{_WEAK_DATE}[\])]?{_EMPH}(?=\s*[:\-–—|])"
    rf"|<[\w.\-]{{1,30}}>(?=\s)"  # IRC: <alice> shipped it
    rf"|{_SPEAKER}\s?[\[(]{_TIME}[\])]"  # alice [10:42]: shipped it
    rf")",
    re.IGNORECASE,
)
# A period that labels what follows rather than naming work: "Q3", "H1 2026", "FY26", "March".
_PERIOD_WORD = rf"(?:q[1-4]|h[12]|fy\s?\d{{2,4}}|(?:19|20)\d\d|(?:w|wk|week|sprint)\s?\d{{1,3}}|{_MONTH})"
_PERIOD = re.compile(rf"{_PERIOD_WORD}(?:[\s,/\-–—]{{1,3}}{_PERIOD_WORD}){{0,3}}", re.IGNORECASE)
_CLOCK = rf"(?:(?:today|yesterday)\sat\s|\d{{1,2}}/\d{{1,2}}/\d{{2,4}},?\s)?{_TIME}"
# A chat export's speaker line: "alice  10:42 AM", "Alice Smith — Today at 10:42", "[10:42 AM]",
# "[10:42 AM] Alice Smith" (Teams), "alice 10:42 AM".
_CHAT_HEADER = re.compile(
    rf"(?:{_NAME}(?:\s{{2,}}|\s*[—–\-·|,]\s*|\s*(?=[\[(])|\s(?=(?:today|yesterday)\s)))?"
    rf"[\[(]?{_CLOCK}[\])]?\s*:?"
    rf"|[\[(]{_CLOCK}[\])]\s{_SPEAKER}:?"
    rf"|{_SPEAKER}\s\d{{1,2}}:\d{{2}}\s?[ap]\.?m\.?",
    re.IGNORECASE,
)
# Words that mark a document's first line as its title ("Self review — H1 2026", "Work log 2025").
_DOC_TITLE = re.compile(
    r"\b(?:brag|review|log|journal|diary|accomplishments?|achievements?|highlights|wins|notes|summary"
    r"|self[- ]?(?:review|assessment|evaluation|appraisal)|performance|promotion|impact"
    r"|h[12]|fy\s?\d{2,4}|q[1-4]|(?:19|20)\d\d)\b",
    re.IGNORECASE,
)
_ORDERED = re.compile(r"(?:\d{1,3}[.)]|\(\d{1,3}\)|[a-z]\))(?=\s|$)")
_CHECKBOX = re.compile(r"\[[ xX✓✔\-~/]\](?=\s|$)")
_TABLE_SEP_CELL = re.compile(r":?-+:?")
_CELL_SPLIT = re.compile(r"(?<!\\)\|")
_HTML_TAG_LINE = re.compile(r"</?[A-Za-z][A-Za-z0-9-]*(?:\s[^<>]*)?/?>")
_HTML_HEADING = re.compile(r"<(h[1-6]|summary|strong|b)(?:\s[^<>]*)?>(.*?)</\1>", re.IGNORECASE)
_LINK_DEFINITION = re.compile(r"\[[^\]^][^\]]*\]:\s*\S+(?:\s.*)?")
_IMAGE_ONLY = re.compile(r"!\[[^\]]*\]\([^)]*\)")
_YAML_LINE = re.compile(r"[\w\"'-][^:]*:(?:\s|$)|-\s|#|[\w.-]+\s*=")
_TOKEN = re.compile(r"\S+")
_ALNUM = re.compile(r"[^\W_]")  # what str.isalnum() accepts
_DIGIT = re.compile(r"\d")
# Every rule of reduce_markdown needs one of these: text without them only needs its whitespace
# collapsed. The private-use pair is reduce_markdown's code placeholder; it cannot take it as input.
_MARKDOWN_CHARS = re.compile(r"[`\\\[<*_~" + "\ue000\ue001]")
_FENCE = re.compile(r"(`{3,}|~{3,})(.*)")


def _reduce(content: str) -> str:
    """`reduce_markdown`, made cheap for plain text and safe for its placeholder characters."""
    if _MARKDOWN_CHARS.search(content) is None:
        return collapse_ws(content)  # what reduce_markdown returns, without its dozen passes
    return reduce_markdown(content.replace("\ue000", "").replace("\ue001", ""))
