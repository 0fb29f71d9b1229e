"""A user's series: the time axis is checked, and every fault is refused by name or repaired on request
(issue 15, kinds A and D; the files in tests/data/cases are the cases found by trying rnnlab as users would).
Business days (issue 24): rows on weekdays only are spaced by business days, weekends are not gaps, a few
missing weekdays are holidays (named), more are refused; `future_dates` continues each calendar."""

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rnnlab.data.time_axis import HOLIDAY_SHARE, check_time_axis, future_dates, infer_spacing
from rnnlab.data.timeseries import load_csv
from rnnlab.data.windows import check_forecast_sizes

CASES = Path(__file__).parent / "data" / "cases"


def write(tmp_path, text, name="my.csv", encoding="utf-8"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def daily(n=20, start="2021-01-01", fmt="%Y-%m-%d"):
    dates = pd.date_range(start, periods=n, freq="D")
    values = 10 + np.sin(np.arange(n))
    return [(d.strftime(fmt), f"{v:.3f}") for d, v in zip(dates, values, strict=True)]


def csv_text(rows, header="date,value"):
    return header + "\n" + "\n".join(",".join(r) for r in rows) + "\n"


def test_a_clean_file_loads_as_a_regular_series(tmp_path):
    series = load_csv(write(tmp_path, csv_text(daily())), "date", "value")
    assert len(series) == 20
    assert series.attrs["report"].freq == "D"
    assert series.index[0] == pd.Timestamp("2021-01-01") and series.iloc[0] == pytest.approx(10.0)


# --- the cases found by users ------------------------------------------------------------------------------

def test_duplicated_date_is_refused_by_name():
    with pytest.raises(ValueError, match=r"2021-05-21 \(rows 142, 143\).*--duplicates"):
        load_csv(CASES / "dup_date.csv", "date", "sales")


def test_duplicated_date_can_be_combined_on_request(capsys):
    series = load_csv(CASES / "dup_date.csv", "date", "sales", duplicates="mean")
    assert len(series) == 150 and not series.index.duplicated().any()
    assert "combined 1 duplicated row(s) by their mean" in capsys.readouterr().out


def test_empty_date_names_its_row():
    with pytest.raises(ValueError, match="empty date at row 5 of the file"):
        load_csv(CASES / "empty_date.csv", "date", "value")


def test_latin1_file_is_named_and_the_fix_given():
    with pytest.raises(ValueError, match=r"latin1.csv' is not UTF-8.*encoding='latin-1'"):
        load_csv(CASES / "latin1.csv", "date", "température")
    series = load_csv(CASES / "latin1.csv", "date", "température", encoding="latin-1")
    assert len(series) > 5


# --- the rest of the kind -------------------------------------------------------------------------------------

def test_unsorted_rows_are_refused_or_sorted_on_request(tmp_path, capsys):
    rows = daily(10)
    rows[3], rows[4] = rows[4], rows[3]
    path = write(tmp_path, csv_text(rows))
    with pytest.raises(ValueError, match=r"not in time order: row 6 \(2021-01-04.*--sort"):
        load_csv(path, "date", "value")
    series = load_csv(path, "date", "value", sort=True)
    assert series.index.is_monotonic_increasing and series["2021-01-04"] == pytest.approx(float(rows[4][1]))
    assert "sorted 1 row(s)" in capsys.readouterr().out


def test_missing_days_are_refused_or_filled_on_request(tmp_path):
    rows = daily(15)
    del rows[5:7]  # 2021-01-06 and 2021-01-07 are missing
    path = write(tmp_path, csv_text(rows))
    with pytest.raises(ValueError, match=r"2 time step\(s\) are missing: 2021-01-06, 2021-01-07.*--fill-missing"):
        load_csv(path, "date", "value")
    series = load_csv(path, "date", "value", fill_missing="interpolate", verbose=False)
    assert len(series) == 15 and series.attrs["report"].filled == 2
    before, after = float(rows[4][1]), float(rows[5][1])
    assert series["2021-01-06"] == pytest.approx(before + (after - before) / 3)
    ffilled = load_csv(path, "date", "value", fill_missing="ffill", verbose=False)
    assert ffilled["2021-01-07"] == pytest.approx(before)


def test_missing_hours_are_found_in_an_hourly_series(tmp_path):
    stamps = pd.date_range("2021-03-01", periods=48, freq="h").delete([10])
    text = "time,temp\n" + "\n".join(f"{t:%Y-%m-%d %H:%M},{i}" for i, t in enumerate(stamps)) + "\n"
    with pytest.raises(ValueError, match=r"spaced by one hour but 1 time step\(s\) are missing: 2021-03-01 10:00:00"):
        load_csv(write(tmp_path, text), "time", "temp")


def test_ambiguous_day_month_order_needs_a_date_format(tmp_path):
    path = write(tmp_path, csv_text(daily(12, start="2021-01-01", fmt="%d/%m/%Y")))
    with pytest.raises(ValueError, match=r"'02/01/2021'.* read as (02 January|01 February) 2021 with '%\w/%\w/%Y' "
                                         r"and as (01 February|02 January) 2021.*--date-format"):
        load_csv(path, "date", "value")
    series = load_csv(path, "date", "value", date_format="%d/%m/%Y")
    assert series.index[1] == pd.Timestamp("2021-01-02")


def test_unambiguous_day_first_dates_are_read_day_first(tmp_path):
    series = load_csv(write(tmp_path, csv_text(daily(20, start="2021-01-13", fmt="%d/%m/%Y"))), "date", "value")
    assert series.index[0] == pd.Timestamp("2021-01-13") and series.attrs["report"].freq == "D"


def test_mixed_date_styles_are_refused(tmp_path):
    rows = daily(10)
    rows[6] = ("07/01/2021", rows[6][1])
    with pytest.raises(ValueError, match=r"mixes date styles: row 2 holds '2021-01-01' but row 8 holds '07/01/2021'"):
        load_csv(write(tmp_path, csv_text(rows)), "date", "value")


def test_day_first_and_month_first_mixed_are_refused(tmp_path):
    rows = [("13/01/2021", "1"), ("01/14/2021", "2"), ("01/15/2021", "3")]
    with pytest.raises(ValueError, match=r"no single date format reads every row.*'%d/%m/%Y' fails at row 3 and 1 more "
                                         r"\('01/14/2021'\); '%m/%d/%Y' fails at row 2 \('13/01/2021'\)"):
        load_csv(write(tmp_path, csv_text(rows)), "date", "value")


def test_unreadable_date_names_row_and_value(tmp_path):
    rows = daily(10)
    rows[2] = ("2021-13-45", rows[2][1])
    with pytest.raises(ValueError, match="date that does not exist"):
        load_csv(write(tmp_path, csv_text(rows)), "date", "value")
    rows[2] = ("soon", rows[2][1])
    with pytest.raises(ValueError, match=r"mixes date styles.*row 4 holds 'soon'"):
        load_csv(write(tmp_path, csv_text(rows)), "date", "value")


def test_time_zones_are_converted_to_utc_across_a_clock_change(tmp_path, capsys):
    local = pd.date_range("2021-03-27 22:00", periods=8, freq="h", tz="Europe/Paris")  # crosses the DST change
    text = "time,load\n" + "\n".join(f"{t.isoformat()},{i}" for i, t in enumerate(local)) + "\n"
    series = load_csv(write(tmp_path, text), "time", "load")
    assert len(series) == 8 and series.attrs["report"].converted_to_utc
    assert series.index[0] == pd.Timestamp("2021-03-27 21:00")
    assert "converted dates with time zones to UTC" in capsys.readouterr().out


def test_time_zones_on_some_rows_only_are_refused(tmp_path):
    text = "time,x\n2021-01-01T00:00+01:00,1\n2021-01-01T01:00,2\n2021-01-01T02:00+01:00,3\n"
    with pytest.raises(ValueError, match=r"some dates .* carry a time zone and some do not \(row 3"):
        load_csv(write(tmp_path, text), "time", "x")


@pytest.mark.parametrize("value, message", [("inf", "infinite value at row 4"),
                                            ("abc", "row 4 of the file holds 'abc'"),
                                            ("12,5", "row 4 of the file holds '12,5'"), ("", "empty value at row 4")])
def test_bad_values_name_their_row(tmp_path, value, message):
    rows = daily(10)
    rows[2] = (rows[2][0], value)
    text = "date,value\n" + "\n".join(f'{d},"{v}"' for d, v in rows) + "\n"
    with pytest.raises(ValueError, match=message):
        load_csv(write(tmp_path, text), "date", "value")


def test_a_single_row_and_a_constant_series_are_refused(tmp_path):
    with pytest.raises(ValueError, match=r"has 1 row\(s\)"):
        load_csv(write(tmp_path, "date,value\n2021-01-01,3\n"), "date", "value")
    rows = [(d, "3.0") for d, _ in daily(10)]
    with pytest.raises(ValueError, match=r"constant \(every value is 3\)"):
        load_csv(write(tmp_path, csv_text(rows)), "date", "value")


def test_several_columns_give_a_frame_with_one_checked_time_axis(tmp_path):
    rows = [(d, v, str(i)) for i, (d, v) in enumerate(daily(10))]
    frame = load_csv(write(tmp_path, csv_text(rows, "date,temp,humidity")), "date", ["temp", "humidity"])
    assert list(frame.columns) == ["temp", "humidity"] and frame.shape == (10, 2)
    with pytest.raises(ValueError, match=r"no column 'wind' \(columns\)"):
        load_csv(write(tmp_path, csv_text(rows, "date,temp,humidity")), "date", ["temp", "wind"])


def test_times_between_the_steps_are_refused():
    index = pd.DatetimeIndex(["2021-01-01", "2021-01-02", "2021-01-03", "2021-01-03 12:00", "2021-01-04",
                              "2021-01-05"])
    with pytest.raises(ValueError, match="fall between the steps"):
        check_time_axis(pd.DataFrame({"x": np.arange(6.0)}, index=index))


# --- sizes speak in the options the user typed (kind D) -----------------------------------------------------------

def test_horizon_longer_than_the_test_part_names_the_options():
    with pytest.raises(ValueError, match=r"^horizon 100 \(--horizon\) is longer than the test part \(73 values\): "
                                         r"lower horizon \(--horizon\) or raise test_fraction \(--test-fraction\)"):
        check_forecast_sizes(1461, lookback=7, horizon=100, val_fraction=0.3, test_fraction=0.05, season=365)


@pytest.mark.parametrize("kwargs, message", [
    (dict(lookback=90, horizon=10), r"lookback 90 \(--lookback\) \+ horizon 10 \(--horizon\) = 100 values do not fit "
                                    r"in the training part \(70"),
    (dict(lookback=5, horizon=5, season=80), r"season 80 \(--season\) needs more than 80 training values"),
    (dict(lookback=5, horizon=20), r"horizon 20 \(--horizon\) is longer than the test part \(15 values\)"),
])
def test_size_checks_name_the_option_to_change(kwargs, message):
    with pytest.raises(ValueError, match=message):
        check_forecast_sizes(100, val_fraction=0.15, test_fraction=0.15, **kwargs)


def test_sizes_that_fit_give_the_split():
    split = check_forecast_sizes(1461, lookback=28, horizon=7, val_fraction=0.15, test_fraction=0.15, season=365)
    assert (split.train_end, split.val_end, split.n) == (1023, 1242, 1461)


def test_missing_file_and_column_and_too_short(tmp_path):
    with pytest.raises(FileNotFoundError, match="no such file"):
        load_csv(tmp_path / "nope.csv", "date", "v")
    with pytest.raises(ValueError, match=r"no column 'v' \(columns\); its columns are \['date', 'x'\]"):
        load_csv(write(tmp_path, "date,x\n2020-01-01,1\n2020-01-02,2\n"), "date", "v")
    with pytest.raises(ValueError, match="has 5 values; at least 10 are needed"):
        load_csv(write(tmp_path, csv_text(daily(5))), "date", "value", min_length=10)


def test_empty_values_are_filled_on_request(tmp_path, capsys):
    rows = daily(10)
    rows[4] = (rows[4][0], "")
    series = load_csv(write(tmp_path, csv_text(rows)), "date", "value", fill_missing="interpolate")
    assert series.iloc[4] == pytest.approx((float(rows[3][1]) + float(rows[5][1])) / 2)
    assert "filled 1 empty value(s) (interpolate)" in capsys.readouterr().out
    rows[0] = (rows[0][0], "")
    with pytest.raises(ValueError, match="empty values at the start of the series"):
        load_csv(write(tmp_path, csv_text(rows)), "date", "value", fill_missing="ffill")


# --- the same through the command line (forecast --csv) -------------------------------------------------------

@pytest.mark.parametrize("args, message", [
    (["--csv", str(CASES / "dup_date.csv"), "--target", "sales"], r"2021-05-21 \(rows 142, 143\).*--duplicates"),
    (["--csv", str(CASES / "empty_date.csv"), "--target", "value"], "empty date at row 5"),
    (["--csv", str(CASES / "latin1.csv"), "--target", "x"], r"latin1.csv' is not UTF-8.*--encoding latin-1"),
    (["--series", "seattle_daily", "--lookback", "7", "--horizon", "100", "--test-fraction", "0.05",
      "--val-fraction", "0.3"], r"horizon 100 \(--horizon\) is longer than the test part \(73 values\): lower "
                                r"horizon \(--horizon\) or raise test_fraction \(--test-fraction\)"),
])
def test_forecast_command_line_names_the_fault_and_the_option(capsys, args, message):
    from rnnlab.experiments.__main__ import main

    with pytest.raises(SystemExit):
        main(["forecast", *args, "--model", "persistence", "--no-progress"])
    err = " ".join(capsys.readouterr().err.split())
    assert re.search(message, err), err


def test_forecast_command_line_repairs_on_request(capsys):
    from rnnlab.experiments.__main__ import main

    assert main(["forecast", "--csv", str(CASES / "dup_date.csv"), "--target", "sales", "--duplicates", "mean",
                 "--model", "persistence", "--horizon", "7", "--lookback", "14", "--no-progress"]) == 0
    out = capsys.readouterr().out
    assert "combined 1 duplicated row(s) by their mean" in out and '"mase"' in out.splitlines()[-1]


# --- business days (issue 24: a trading-day series; weekends are not gaps) ----------------------------------

NYSE_2021 = ["2021-01-01", "2021-01-18", "2021-02-15", "2021-04-02", "2021-05-31", "2021-07-05", "2021-09-06",
             "2021-11-25", "2021-12-24"]   # the New York Stock Exchange's weekday closures in 2021


def trading_days(start="2021-01-01", end="2021-12-31", closed=NYSE_2021):
    return pd.bdate_range(start, end).difference(pd.DatetimeIndex(closed))


def prices_csv(tmp_path, days, name="prices.csv"):
    values = 100 + np.cumsum(np.random.default_rng(0).normal(size=len(days)))
    text = "date,close\n" + "".join(f"{d:%Y-%m-%d},{v:.4f}\n" for d, v in zip(days, values, strict=True))
    return write(tmp_path, text, name)


def test_business_days_without_holidays_are_regular_and_said_so(tmp_path, capsys):
    series = load_csv(prices_csv(tmp_path, pd.bdate_range("2021-03-01", periods=60)), "date", "close")
    report = series.attrs["report"]
    assert report.freq == "B" and report.filled == 0 and report.holidays == [] and len(series) == 60
    assert "spaced by business days (Monday to Friday, season 5), so weekends are not gaps" in capsys.readouterr().out


def test_a_trading_year_loads_with_its_holidays_named_not_its_weekends(tmp_path, capsys):
    days = trading_days()
    series = load_csv(prices_csv(tmp_path, days), "date", "close")
    out = capsys.readouterr().out
    report = series.attrs["report"]
    assert report.freq == "B" and len(series) == len(days) == 252
    assert report.holidays == list(pd.DatetimeIndex(NYSE_2021[1:]))   # 1 January 2021 is before the first row
    assert "8 weekday(s) have no row (Mon 2021-01-18, Mon 2021-02-15, Fri 2021-04-02" in out
    assert "taken as holidays" in out and "Sat" not in out and "Sun" not in out
    assert not series.index.day_of_week.isin([5, 6]).any()


def test_business_days_with_more_gaps_than_holidays_are_refused_naming_weekdays_only(tmp_path):
    days = pd.bdate_range("2021-03-01", periods=80)
    gappy = days.delete(np.arange(3, 80, 9))                          # 9 of 80 weekdays: 11%, not holidays
    with pytest.raises(ValueError, match=r"spaced by business days \(rows on weekdays only: weekends are not gaps\), "
                                         r"but 9 of its 80 weekdays have no row: Thu 2021-03-04.*--fill-missing") as e:
        load_csv(prices_csv(tmp_path, gappy), "date", "close")
    assert "Sat" not in str(e.value) and "Sun" not in str(e.value)


def test_business_days_filled_on_request_fill_weekdays_only(tmp_path):
    series = load_csv(prices_csv(tmp_path, trading_days()), "date", "close", fill_missing="ffill", verbose=False)
    assert len(series) == len(pd.bdate_range("2021-01-04", "2021-12-31")) == 260     # 252 + 8 holidays, no weekend
    assert series.attrs["report"].filled == 8 and series["2021-01-18"] == series["2021-01-15"]
    assert not series.index.day_of_week.isin([5, 6]).any()


@settings(max_examples=25, deadline=None, derandomize=True, database=None)
@given(weeks=st.integers(3, 60), data=st.data())
def test_property_weekday_rows_are_business_days_and_few_missing_weekdays_are_holidays(weeks, data):
    grid = pd.bdate_range("2020-01-06", periods=5 * weeks)
    allowed = int(HOLIDAY_SHARE * len(grid))
    inner = list(range(1, len(grid) - 1))
    closed = sorted(data.draw(st.lists(st.sampled_from(inner), max_size=allowed, unique=True), label="closed"))
    index = grid.delete(closed)
    frame, report = check_time_axis(pd.DataFrame({"x": np.arange(len(index), dtype=float)}, index=index))
    assert report.freq == "B" and report.holidays == list(grid[closed]) and len(frame) == len(index)


@settings(max_examples=25, deadline=None, derandomize=True, database=None)
@given(days=st.integers(15, 200), data=st.data())
def test_property_a_calendar_day_series_with_a_gap_is_never_taken_for_business_days(days, data):
    grid = pd.date_range("2020-01-01", periods=days, freq="D")
    gone = data.draw(st.integers(1, days - 2), label="missing day")
    assert infer_spacing(grid.delete([gone])) == "D"                  # one day, not "24h", and not "B"
    with pytest.raises(ValueError, match=r"spaced by one day but 1 time step\(s\) are missing"):
        check_time_axis(pd.DataFrame({"x": np.arange(days - 1.0)}, index=grid.delete([gone])))


@pytest.mark.parametrize("last, freq, expected", [
    ("2021-12-31", "B", ["2022-01-03", "2022-01-04", "2022-01-05"]),           # a Friday: Monday next
    ("2021-12-29", "B", ["2021-12-30", "2021-12-31", "2022-01-03"]),
    ("2021-12-31", "D", ["2022-01-01", "2022-01-02", "2022-01-03"]),
    ("2021-12-01", "MS", ["2022-01-01", "2022-02-01", "2022-03-01"]),
    ("2024-01-31", "ME", ["2024-02-29", "2024-03-31", "2024-04-30"]),         # leap February
    ("2021-10-01", "QS-OCT", ["2022-01-01", "2022-04-01", "2022-07-01"]),
    ("2021-12-26", "W-SUN", ["2022-01-02", "2022-01-09", "2022-01-16"]),
    ("2021-12-31 22:00", "h", ["2021-12-31 23:00", "2022-01-01 00:00", "2022-01-01 01:00"]),
])
def test_future_dates_continue_the_series_own_calendar(last, freq, expected):
    index = pd.DatetimeIndex([pd.Timestamp(last) - pd.tseries.frequencies.to_offset(freq), pd.Timestamp(last)])
    assert list(future_dates(index, 3, freq)) == list(pd.DatetimeIndex(expected))


def test_future_dates_infer_the_spacing_and_refuse_nonsense():
    days = trading_days("2021-11-01", "2021-12-31")
    assert list(future_dates(days, 2)) == list(pd.DatetimeIndex(["2022-01-03", "2022-01-04"]))
    with pytest.raises(ValueError, match="steps must be >= 1"):
        future_dates(days, 0)
    with pytest.raises(ValueError, match="non-empty DatetimeIndex"):
        future_dates(pd.DatetimeIndex([]), 2)


def _closes(days, name="close"):
    return pd.DataFrame({name: np.arange(len(days), dtype=float) + 1}, index=pd.DatetimeIndex(days))


def test_the_last_trading_day_of_each_month_and_week_is_monthly_and_weekly():
    """Monthly closes fall on the last trading day (28 May 2021: the 31st was Memorial Day); weekly closes on
    Friday, or Thursday before a Good Friday. Before: 'spaced by 31 days, ... fall between the steps'."""
    trading = trading_days()
    monthly = trading.to_series().groupby(trading.to_period("M")).last()
    frame, report = check_time_axis(_closes(monthly))
    assert report.freq == "BME" and len(frame) == 12 and "one row per month on varying days" in str(report)
    assert list(future_dates(frame.index, 2, report.freq)) == list(pd.DatetimeIndex(["2022-01-31", "2022-02-28"]))
    weekly = trading.to_series().groupby(trading.to_period("W-FRI")).last()
    frame, report = check_time_axis(_closes(weekly))
    assert report.freq == "W-FRI" and "Thu 2021-04-01" in str(report)          # Good Friday 2021
    assert future_dates(frame.index, 1, report.freq)[0] == pd.Timestamp("2022-01-07")


def test_a_month_without_its_row_is_named():
    trading = trading_days()
    monthly = [d for d in trading.to_series().groupby(trading.to_period("M")).last() if d.month != 6]
    with pytest.raises(ValueError, match=r"one row per month on varying days, but 1 month\(s\) have no row: 2021-06"):
        check_time_axis(_closes(monthly))


@pytest.mark.parametrize("freq, words", [("QS", "one quarter"), ("QE-NOV", "one quarter"), ("YS", "one year"),
                                         ("YE", "one year"), ("MS", "one month"), ("W-WED", "one week")])
def test_a_missing_quarter_or_year_is_one_missing_step_not_missing_months(freq, words):
    """Before, a quarterly series with one quarter missing was read as monthly with two thirds of it missing."""
    grid = pd.date_range("2001-01-01", periods=20, freq=freq)
    with pytest.raises(ValueError, match=rf"spaced by {words} but 1 time step\(s\) are missing: {grid[5].date()};"):
        check_time_axis(pd.DataFrame({"x": np.arange(19.0)}, index=grid.delete([5])))
