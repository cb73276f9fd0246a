import pytest

from matcher.errors import DocumentError
from matcher.text import clean_text, decode_bytes, normalize_key, reduce_markdown, repair_mojibake


@pytest.mark.parametrize(
    ("raw", "fixed"),
    [
        ("\uf8ffü¶â Domain", "🦉 Domain"),
        ("colleague‚Äôs idea", "colleague’s idea"),
        ("plain ascii", "plain ascii"),
        ("café and naïve stay", "café and naïve stay"),
        ("mixed café ‚Äôs", "mixed café ’s"),
    ],
)
def test_repair_mojibake(raw, fixed):
    assert repair_mojibake(raw) == fixed


def test_repair_is_idempotent_on_clean_emoji():
    text = "## 🦉 Domain expertise — it’s “quoted”"
    assert repair_mojibake(text) == text


@pytest.mark.parametrize(
    ("md", "plain"),
    [
        ("**Bold** and __bold__", "Bold and bold"),
        ("*em* and _em_ but snake_case_name", "em and em but snake_case_name"),
        ("`a*b*c` stays literal", "a*b*c stays literal"),
        ("[Leadership](https://example.com/a_(b).md).", "Leadership."),
        ("![alt text](img.png) and <https://x.org>", "alt text and https://x.org"),
        ("~~struck~~   and\n spaced", "struck and spaced"),
        ("***both***", "both"),
        ("2 * 3 * 4", "2 * 3 * 4"),
    ],
)
def test_reduce_markdown(md, plain):
    assert reduce_markdown(md) == plain


def test_normalize_key_ignores_case_trailing_stop_and_links():
    a = normalize_key("I encompass all of the qualities listed in [Leadership](https://x/Leadership.md).")
    b = normalize_key("I encompass all of the qualities listed in Leadership")
    assert a == b


@pytest.mark.parametrize(
    ("data", "text"),
    [
        (b"hello", "hello"),
        (b"\xef\xbb\xbfhello", "hello"),
        ("héllo".encode("utf-16"), "héllo"),
        ("héllo".encode("utf-16-be").join([b"\xfe\xff", b""]), "héllo"),
    ],
)
def test_decode_bytes(data, text):
    assert decode_bytes(data) == text


@pytest.mark.parametrize("data", [b"\x00\x01\x02binary\x00", b"bad \xff\xfe\xfd utf8 \xc3"[3:] + b"\xc3\x28"])
def test_decode_bytes_refuses(data):
    with pytest.raises(DocumentError):
        decode_bytes(data, "doc.md")


def test_clean_text_normalises_line_endings_and_controls():
    assert clean_text("a\r\nb\rc\x00d\x07") == "a\nb\ncd"
