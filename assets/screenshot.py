#!/usr/bin/env python3
"""Renders assets/screenshot.png from the real review TUI (the README's picture).

    cargo build && python3 assets/screenshot.py [path/to/lucid]     # needs tmux and Pillow

Runs `lucid demo` in a private tmux server (160x44), opens the proposal, accepts the first hunk,
captures the pane with its colours (`capture-pane -e`) and paints the cells with DejaVu Sans Mono.
Time and actor are pinned, so the picture only changes when the TUI or the demo data does.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

HERE = Path(__file__).resolve().parent
FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf"
FONT_BOLD = "/usr/share/fonts/truetype/dejavu/DejaVuSansMono-Bold.ttf"
COLS, ROWS, SIZE = 160, 44, 14

# xterm's 16 colours, then the 256-colour cube and greys.
BASE16 = [
    (0, 0, 0), (205, 49, 49), (13, 188, 121), (229, 229, 16), (36, 114, 200), (188, 63, 188),
    (17, 168, 205), (229, 229, 229), (102, 102, 102), (241, 76, 76), (35, 209, 139),
    (245, 245, 67), (59, 142, 234), (214, 112, 214), (41, 184, 219), (255, 255, 255),
]
FG, BG = (220, 220, 220), (24, 26, 31)


def color256(n: int) -> tuple[int, int, int]:
    if n < 16:
        return BASE16[n]
    if n < 232:
        n -= 16
        steps = [0, 95, 135, 175, 215, 255]
        return steps[n // 36], steps[n // 6 % 6], steps[n % 6]
    g = 8 + (n - 232) * 10
    return g, g, g


def capture(lucid: str) -> str:
    with tempfile.TemporaryDirectory() as tmp:
        sock = os.path.join(tmp, "tmux.sock")
        env = {
            "PATH": os.environ.get("PATH", ""), "HOME": tmp, "XDG_CONFIG_HOME": tmp,
            "TERM": "xterm-256color", "LANG": "C.UTF-8",
            "LUCID_NOW": "2026-10-21T09:00:00Z", "LUCID_ACTOR": "maya",
        }
        tmux = ["tmux", "-S", sock, "-f", "/dev/null"]

        def run(*args: str) -> str:
            return subprocess.run(tmux + list(args), env=env, check=True,
                                  capture_output=True, text=True).stdout

        def wait(text: str) -> None:
            for _ in range(500):
                if text in run("capture-pane", "-p", "-t", "shot"):
                    return
                time.sleep(0.04)
            raise SystemExit(f"timed out waiting for {text!r}")

        try:
            run("new-session", "-d", "-s", "shot", "-x", str(COLS), "-y", str(ROWS),
                lucid, "demo", "--db", os.path.join(tmp, "demo.db"))
            wait("Inbox · 1 waiting")
            run("send-keys", "-t", "shot", "Enter")
            wait("/backend.md · modify")
            run("send-keys", "-t", "shot", "a")
            wait("Accepted /backend.md")
            for _ in range(500):  # until the spinner is gone
                screen = run("capture-pane", "-e", "-p", "-t", "shot")
                if "working" not in run("capture-pane", "-p", "-t", "shot").splitlines()[0]:
                    return screen
                time.sleep(0.04)
            raise SystemExit("the TUI stayed busy")
        finally:
            subprocess.run(tmux + ["kill-server"], env=env, capture_output=True)


SGR = re.compile(r"\x1b\[([0-9;:]*)m")


def cells(text: str):
    """Yields rows of (char, fg, bg, bold) from an SGR-coloured capture."""
    for line in text.split("\n")[:ROWS]:
        fg, bg, bold, rev = FG, BG, False, False
        row, pos = [], 0
        for m in list(SGR.finditer(line)) + [None]:
            end = m.start() if m else len(line)
            for ch in line[pos:end]:
                f, b = (bg, fg) if rev else (fg, bg)
                row.append((ch, f, b, bold))
            if not m:
                break
            pos = m.end()
            codes = [int(c) if c.isdigit() else 0 for c in m.group(1).replace(":", ";").split(";")]
            i = 0
            while i < len(codes):
                c = codes[i]
                if c == 0:
                    fg, bg, bold, rev = FG, BG, False, False
                elif c == 1:
                    bold = True
                elif c == 22:
                    bold = False
                elif c == 7:
                    rev = True
                elif c == 27:
                    rev = False
                elif 30 <= c <= 37:
                    fg = BASE16[c - 30]
                elif 90 <= c <= 97:
                    fg = BASE16[c - 90 + 8]
                elif 40 <= c <= 47:
                    bg = BASE16[c - 40]
                elif 100 <= c <= 107:
                    bg = BASE16[c - 100 + 8]
                elif c == 39:
                    fg = FG
                elif c == 49:
                    bg = BG
                elif c in (38, 48) and i + 2 < len(codes) and codes[i + 1] == 5:
                    col = color256(codes[i + 2])
                    fg, bg = (col, bg) if c == 38 else (fg, col)
                    i += 2
                elif c in (38, 48) and i + 4 < len(codes) and codes[i + 1] == 2:
                    col = tuple(codes[i + 2:i + 5])
                    fg, bg = (col, bg) if c == 38 else (fg, col)
                    i += 4
                i += 1
        yield row


def render(text: str, out: Path) -> None:
    font = ImageFont.truetype(FONT, SIZE)
    bold = ImageFont.truetype(FONT_BOLD, SIZE)
    ascent, descent = font.getmetrics()
    cw = round(font.getlength("M"))
    ch = ascent + descent
    img = Image.new("RGB", (COLS * cw + 16, ROWS * ch + 16), BG)
    draw = ImageDraw.Draw(img)
    for y, row in enumerate(cells(text)):
        x = 0
        for char, fg, bg, is_bold in row:
            px, py = 8 + x * cw, 8 + y * ch
            draw.rectangle([px, py, px + cw - 1, py + ch - 1], fill=bg)
            if char.strip():
                draw.text((px, py), char, font=bold if is_bold else font, fill=fg)
            x += 1
    img.save(out, optimize=True)


def main() -> None:
    root = HERE.parent
    lucid = sys.argv[1] if len(sys.argv) > 1 else str(root / "target/debug/lucid")
    out = HERE / "screenshot.png"
    render(capture(lucid), out)
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
