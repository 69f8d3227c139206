"""The HTML report: one self-contained, well-formed page, checked as text and rendered in headless Chromium."""

from __future__ import annotations

import html
import re
import shutil
import struct
import subprocess
import zlib
from collections import Counter
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import attrs
import pytest

from config_explorer.errors import InvalidArgumentError
from config_explorer.html_report import html_report, write_html_report
from config_explorer.plots import SERIES_COLOURS, frontier_curves
from config_explorer.recommender import RecommendationResult
from config_explorer.recommender import recommend_gpus as _recommend_gpus

#: elements HTML never closes
VOID = frozenset(
    {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}
)


def recommend_gpus(*args: Any, **kwargs: Any) -> RecommendationResult:
    """The native engine's answer whatever else is installed (``auto`` would pick llm-optimizer for a
    dense model when it is importable; these pictures are checked against the native engine's curves)."""
    return _recommend_gpus(*args, **{"backend": "native", **kwargs})


@pytest.fixture(scope="module")
def chat() -> RecommendationResult:
    """Qwen3-8B chat at 5 req/s on three GPU types: three ranked rows, a target, the chat preset's SLOs."""
    return recommend_gpus(
        "Qwen/Qwen3-8B", workload="chat", gpus=["H100", "L40S", "A100"], max_gpus=2, target_requests_per_s=5
    )


@pytest.fixture(scope="module")
def unmet() -> RecommendationResult:
    """A TTFT bound no GPU meets: nothing ranked, every layout rejected for an SLO."""
    return recommend_gpus("Qwen/Qwen3-8B", workload="chat", gpus=["H100", "L40S"], max_gpus=2, max_ttft_ms=5)


class Structure(HTMLParser):
    """Checks that tags balance, and counts what the tests look at."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.open: list[tuple[str, str]] = []  # (tag, class) of each element not yet closed
        self.errors: list[str] = []
        self.tags: Counter[str] = Counter()
        self.ranked_rows = 0
        self.frontier_polylines = 0
        self.text: list[str] = []

    def inside(self, tag: str, cls: str) -> bool:
        return (tag, cls) in self.open

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags[tag] += 1
        if tag == "tr" and self.open[-1:] == [("tbody", "")] and self.inside("table", "ranked"):
            self.ranked_rows += 1
        if tag == "polyline" and self.inside("svg", "frontier"):
            self.frontier_polylines += 1
        if tag not in VOID:
            self.open.append((tag, dict(attrs).get("class") or ""))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags[tag] += 1

    def handle_endtag(self, tag: str) -> None:
        if not self.open or self.open[-1][0] != tag:
            self.errors.append(f"</{tag}> closes {self.open[-1][0] if self.open else 'nothing'}")
            return
        self.open.pop()

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def parse(page: str) -> Structure:
    parser = Structure()
    parser.feed(page)
    parser.close()
    return parser


def assert_well_formed(page: str) -> Structure:
    assert page.startswith("<!DOCTYPE html>\n")
    parsed = parse(page)
    assert parsed.errors == []
    assert parsed.open == [], f"never closed: {parsed.open}"
    assert parsed.tags["html"] == parsed.tags["head"] == parsed.tags["body"] == 1
    assert page.split("</head>", 1)[0].count("<title>") == 1  # the others are SVG tooltips
    return parsed


def assert_self_contained(page: str) -> None:
    lowered = page.lower()
    for needle in ("http://", "https://", "<script", "src=", "<link", "<img", "<iframe", "@import", "url("):
        assert needle not in lowered, needle
    hrefs = re.findall(r'href="([^"]*)"', page)
    assert all(h.startswith("#") for h in hrefs), hrefs


def test_one_result_is_a_well_formed_self_contained_page(chat: RecommendationResult) -> None:
    page = html_report([chat])
    parsed = assert_well_formed(page)
    assert_self_contained(page)
    assert parsed.ranked_rows == len(chat.ranked) == 3
    assert parsed.frontier_polylines == len(frontier_curves(chat)) == 3
    assert parsed.tags["svg"] >= 1 and parsed.tags["style"] == 1
    assert 'class="slo"' in page  # the TPOT bound's line


def test_the_page_states_the_question_and_the_answer(chat: RecommendationResult) -> None:
    page = html_report([chat])
    text = " ".join(parse(page).text)
    best = chat.ranked[0]
    assert chat.model_id in text and "512 tokens in, 256 tokens out" in text
    assert "ttft:p99<=500ms; tpot:p99<=40ms" in text and "MLPerf" in text  # the SLOs and their source
    assert "5.00 requests/s" in text
    head = page.split('<table class="ranked"><thead>', 1)[1].split("</thead>", 1)[0]
    assert re.findall(r"<th>(.*?)</th>", head) == [
        "#", "GPU", "GPUs", "TP", "PP", "rep", "conc", "TTFT ms", "ITL ms", "E2E s", "out tok/s", "tok/s/GPU",
        "$/h", "$/M tok", "binds", "caveats", "copies", "GPUs@target", "$/h@target", "spare",
    ]  # fmt: skip
    # the launch command of the best row, in a <pre>, escaped
    command = best.serve_commands["vllm"]
    assert f"<pre>{html.escape(command)}</pre>" in page
    assert "Rejected" in text or "No layout was rejected" in text
    assert chat.cost_note in text
    # the caveat legend explains each mark the table shows
    from config_explorer.recommender.recommend import CAVEATS

    for key in {k for c in chat.ranked for k in c.caveats}:
        assert CAVEATS[key][1] in text


def test_a_table_row_per_ranked_candidate_with_its_figures(chat: RecommendationResult) -> None:
    page = html_report([chat])
    body = page.split('<table class="ranked">', 1)[1].split("</table>", 1)[0]
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", body.split("<tbody>", 1)[1])
    assert len(rows) == len(chat.ranked)
    for row, candidate in zip(rows, chat.ranked):
        cells = [re.sub(r"<svg.*?</svg>", "", c) for c in re.findall(r"<td[^>]*>(.*?)</td>", row)]
        assert cells[0] == str(candidate.rank) and cells[1] == candidate.gpu
        assert f"{candidate.total_gpus_for_target:,}" in cells


def test_everything_from_a_result_is_escaped(chat: RecommendationResult) -> None:
    hostile = '<script>alert("x")</script> & "quoted"'
    best = attrs.evolve(chat.ranked[0], gpu=hostile, serve_commands={"vllm": f"vllm serve '{hostile}'"})
    result = attrs.evolve(
        chat, model_id=hostile, ranked=(best, *chat.ranked[1:]), cost_note=hostile, slo_note=hostile
    )
    page = html_report([result])
    assert "<script" not in page.lower()
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &quot;quoted&quot;" in page
    assert_well_formed(page)


def test_the_same_results_give_the_same_bytes(chat: RecommendationResult) -> None:
    assert html_report([chat]) == html_report([chat])


def test_no_results_is_still_a_page() -> None:
    page = html_report([])
    assert_well_formed(page)
    assert_self_contained(page)
    assert "No recommendation results" in page


def test_several_results_get_an_overview_and_a_section_each(
    chat: RecommendationResult, unmet: RecommendationResult
) -> None:
    page = html_report([chat, unmet])
    parsed = assert_well_formed(page)
    assert_self_contained(page)
    assert parsed.tags["section"] == 2 and page.count('href="#model-') == 2
    assert 'id="model-1"' in page and 'id="model-2"' in page
    assert parsed.ranked_rows == len(chat.ranked)  # the second has no table
    assert "none met the question" in page


def test_nothing_ranked_says_why_and_which_layout_came_closest(unmet: RecommendationResult) -> None:
    page = html_report([unmet])
    assert_well_formed(page)
    assert '<table class="ranked">' not in page
    text = " ".join(parse(page).text)
    assert "No layout fits and meets the SLOs." in text
    closest = re.search(r"Closest: (\d+) x ([^,]+), TP(\d+).*?(\d+)% over its tightest bound", text)
    assert closest is not None, text
    assert "ttft mean" in text and "<= 5 ms" in text
    assert "nothing to draw" in text  # the frontier is an empty frame, saying so


def test_nothing_fitting_says_so() -> None:
    result = recommend_gpus("meta-llama/Llama-3.1-405B", workload="chat", gpus=["L4"], max_gpus=2)
    assert result.ranked == () and result.rejected
    text = " ".join(parse(html_report([result])).text)
    assert "No layout fits in memory." in text and "does not fit" in text


def test_write_html_report_writes_the_page(chat: RecommendationResult, tmp_path: Path) -> None:
    target = tmp_path / "report.html"
    assert write_html_report([chat], target) == target
    assert target.read_text(encoding="utf-8") == html_report([chat])
    assert [p.name for p in tmp_path.iterdir()] == ["report.html"]
    with pytest.raises(InvalidArgumentError, match="HTML report"):
        write_html_report([chat], tmp_path)  # a folder


# ------------------------------------------------------------------------------------------ in the browser
def chromium() -> str | None:
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    return "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None


def run_chromium(binary: str, profile: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [
            binary,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--hide-scrollbars",
            f"--user-data-dir={profile}",
            *args,
        ],
        capture_output=True,
        timeout=180,
        check=False,
    )


def png_pixels(data: bytes) -> tuple[int, int, list[bytes]]:
    """Width, height and each row's RGB bytes of an 8-bit, non-interlaced RGB or RGBA PNG (no Pillow)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    offset, chunks = 8, []
    width = height = 0
    channels = 3
    while offset < len(data):
        (length,) = struct.unpack(">I", data[offset : offset + 4])
        kind = data[offset + 4 : offset + 8]
        body = data[offset + 8 : offset + 8 + length]
        offset += 12 + length
        if kind == b"IHDR":
            width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", body)
            assert depth == 8 and colour in (2, 6) and interlace == 0, (depth, colour, interlace)
            channels = 3 if colour == 2 else 4
        elif kind == b"IDAT":
            chunks.append(body)
        elif kind == b"IEND":
            break
    raw = zlib.decompress(b"".join(chunks))
    stride = width * channels
    rows: list[bytes] = []
    previous = bytearray(stride)
    for y in range(height):
        start = y * (stride + 1)
        kind, line = raw[start], bytearray(raw[start + 1 : start + 1 + stride])
        if kind == 1:  # Sub
            for i in range(channels, stride):
                line[i] = (line[i] + line[i - channels]) & 0xFF
        elif kind == 2:  # Up
            line = bytearray((a + b) & 0xFF for a, b in zip(line, previous))
        elif kind == 3:  # Average
            for i in range(stride):
                left = line[i - channels] if i >= channels else 0
                line[i] = (line[i] + ((left + previous[i]) >> 1)) & 0xFF
        elif kind == 4:  # Paeth
            for i in range(stride):
                a = line[i - channels] if i >= channels else 0
                b = previous[i]
                c = previous[i - channels] if i >= channels else 0
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 0xFF
        else:
            assert kind == 0, f"unknown PNG filter {kind}"
        rows.append(bytes(line) if channels == 3 else bytes(v for i, v in enumerate(line) if i % 4 != 3))
        previous = line
    return width, height, rows


@pytest.mark.skipif(chromium() is None, reason="Chromium is not installed (Debian: apt-get install chromium)")
def test_the_page_renders_in_headless_chromium(
    chat: RecommendationResult, unmet: RecommendationResult, tmp_path: Path
) -> None:
    binary = chromium()
    assert binary is not None
    page = write_html_report([chat, unmet], tmp_path / "report.html")
    url = page.resolve().as_uri()

    # the DOM the browser built: the table with a row per ranked candidate, the SVG with its curves
    dumped = run_chromium(binary, tmp_path / "profile-dom", "--dump-dom", url)
    assert dumped.returncode == 0, dumped.stderr.decode(errors="replace")[-2000:]
    dom = dumped.stdout.decode("utf-8")
    parsed = parse(dom)
    assert parsed.ranked_rows == len(chat.ranked)
    assert parsed.frontier_polylines == len(frontier_curves(chat))
    assert dom.count('<svg class="frontier"') == 2
    assert chat.model_id in dom and unmet.model_id in dom

    # the picture: not blank, in colour, with the curves' colours on it
    shot = tmp_path / "report.png"
    taken = run_chromium(
        binary, tmp_path / "profile-shot", f"--screenshot={shot}", "--window-size=1400,2000", url
    )
    assert taken.returncode == 0 and shot.exists(), taken.stderr.decode(errors="replace")[-2000:]
    width, height, rows = png_pixels(shot.read_bytes())
    assert (width, height) == (1400, 2000)
    pixels: Counter[tuple[int, int, int]] = Counter()
    coloured = 0
    for row in rows[::2]:  # every other row and column is plenty, and twice as fast
        for x in range(0, len(row), 6):
            r, g, b = row[x], row[x + 1], row[x + 2]
            pixels[(r >> 3, g >> 3, b >> 3)] += 1
            coloured += min(r, g, b) < 250
    total = sum(pixels.values())
    # text, table rules and the figure cover about 12% of this page; a blank one is 0%
    assert coloured / total > 0.05, f"only {coloured / total:.1%} of the page is not white"
    assert len(pixels) > 50, f"only {len(pixels)} distinct colours"  # about 370 here, 1 when blank
    curve_colours = [int(colour[i : i + 2], 16) >> 3 for colour in SERIES_COLOURS[:3] for i in (1, 3, 5)]
    for k in range(3):
        wanted = tuple(curve_colours[3 * k : 3 * k + 3])
        near = sum(
            n
            for (r, g, b), n in pixels.items()
            if max(abs(r - wanted[0]), abs(g - wanted[1]), abs(b - wanted[2])) <= 1
        )
        assert near > 20, f"the colour of curve {k + 1} ({SERIES_COLOURS[k]}) is not on the screenshot"
