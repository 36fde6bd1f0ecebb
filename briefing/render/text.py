"""Plain-text rendering (console, `say`, fallbacks): the figure, then its source and date."""

from __future__ import annotations

from briefing.replies import Line, Reply, ReplyKind, format_date


def render_line(line: Line) -> str:
    if line.source is None:
        return line.text
    return f"• {line.text} — {line.source.label()}"


def render_text(reply: Reply, *, with_urls: bool = True) -> str:
    out: list[str] = [reply.title]
    for section in reply.sections:
        if section.heading:
            out.append("")
            out.append(section.heading)
        out.extend(render_line(line) for line in section.lines)
    if reply.chart is not None:
        out.append(f"[chart: {reply.chart.title} — {reply.chart.path}]")
    sources = reply.sources
    if sources:
        out.append("")
        if with_urls:
            listed = "; ".join(f"{s.title} <{s.url}>" if s.url else s.title for s in sources)
        else:
            listed = "; ".join(s.title for s in sources)
        out.append(f"Sources: {listed}.")
        data_as_of = reply.data_as_of
        if data_as_of is not None:
            out.append(f"Data as of {format_date(data_as_of)}.")
    if reply.footer and reply.kind not in (ReplyKind.USAGE_ERROR, ReplyKind.REFUSAL):
        out.append(reply.footer)
    return "\n".join(out)
