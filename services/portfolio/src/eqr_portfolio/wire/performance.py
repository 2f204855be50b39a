"""The performance and risk reports -> protobuf."""

from __future__ import annotations

from eqr.portfolio.v1 import resources_pb2 as pb
from eqr_platform.protobuf import date_pb
from eqr_portfolio.app.performance import PerformanceReport, RiskReport


def performance_to_pb(report: PerformanceReport) -> pb.Performance:
    history = report.history
    message = pb.Performance(
        portfolio_id=str(history.portfolio.id), benchmark=history.portfolio.benchmark or ""
    )
    for name, figures in report.periods:
        period = pb.PeriodReturn(period=name.upper())
        if figures is not None:
            period.start_date.CopyFrom(date_pb(figures.twr.first_day))
            period.end_date.CopyFrom(date_pb(figures.twr.last_day))
            annualised = figures.twr.annualised
            period.annualized = annualised is not None
            period.time_weighted = annualised if annualised is not None else figures.twr.cumulative
            if figures.mwr is not None:
                period.money_weighted = figures.mwr
            if figures.benchmark is not None:
                theirs = figures.benchmark.benchmark
                period.benchmark = (
                    theirs.annualised
                    if annualised is not None and theirs.annualised is not None
                    else theirs.cumulative
                )
                period.excess = figures.benchmark.excess_return
        message.periods.append(period)
    bench_index = (
        dict(zip(history.benchmark.days, history.benchmark.index, strict=True)) if history.benchmark else {}
    )
    for point, growth in zip(history.points, history.series.index, strict=True):
        value = pb.ValuePoint(
            date=date_pb(point.day),
            value=float(point.value),
            net_flow=float(point.net_flow),
            cumulative_return=growth - 1,
        )
        if point.day in bench_index:
            value.benchmark_cumulative_return = bench_index[point.day] - 1
        message.series.append(value)
    for returns, month in ((report.monthly, True), (report.yearly, False)):
        for r, benchmark_return in returns:
            entry = pb.CalendarReturn(
                year=r.first_day.year,
                month=r.first_day.month if month else 0,
                time_weighted=r.cumulative,
                partial=r.partial,
            )
            if benchmark_return is not None:
                entry.benchmark = benchmark_return
            message.calendar.append(entry)
    if report.contributions is not None:
        message.contributions.extend(
            pb.Contribution(symbol=h.holding, contribution=h.contribution)
            for h in report.contributions.holdings
        )
    if report.tracking is not None:
        if report.tracking.tracking_error is not None:
            message.tracking_error = report.tracking.tracking_error
        if report.tracking.tracking_difference is not None:
            message.tracking_difference = report.tracking.tracking_difference
    return message


def risk_to_pb(report: RiskReport, risk_free_rate: float) -> pb.RiskFigures:
    window = report.window
    message = pb.RiskFigures(
        portfolio_id=str(report.history.portfolio.id),
        benchmark=report.history.portfolio.benchmark or "",
        observations=len(window.days),
        risk_free_rate=risk_free_rate,
    )
    if window.days:
        message.start_date.CopyFrom(date_pb(window.days[0]))
        message.end_date.CopyFrom(date_pb(window.days[-1]))
    for name in ("volatility", "sharpe", "sortino", "beta", "correlation"):
        value = getattr(report, name)
        if value is not None:
            setattr(message, name, value)
    if report.drawdown is not None:
        drawdown = pb.Drawdown(
            depth=report.drawdown.depth,
            peak=date_pb(report.drawdown.peak),
            trough=date_pb(report.drawdown.trough),
        )
        if report.drawdown.recovery is not None:
            drawdown.recovered.CopyFrom(date_pb(report.drawdown.recovery))
        message.max_drawdown.CopyFrom(drawdown)
    return message
