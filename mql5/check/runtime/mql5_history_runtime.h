// The MQL5 timeseries functions the EA's history answer uses (SymbolSelect, iTime, CopyRates,
// SeriesInfoInteger), for running mql5/Include/MT5Bridge/History.mqh on Linux. The terminal's
// M1 history of a symbol is the file $MQL5_FILES/<symbol>_M1.csv (lines "time,open,high,low,
// close,tick_volume,spread", time in seconds, oldest first); a symbol without a file does not
// exist. The terminal's time is $MQL5_NOW (seconds): its bar is open, never copied.
//
// As a terminal whose history is still being downloaded from the trade server (the MQL5
// reference, CopyRates and "Organizing Data Access"): with $MQL5_RATES_LOADING = k, the first
// CopyRates call of a symbol fails with -1 and ERR_HISTORY_NOT_FOUND (4401), the next k - 1
// return only the newest half of what the range holds (the data ready when the call's wait
// ran out) while SeriesInfoInteger(SERIES_SYNCHRONIZED) is 0; from the (k + 1)-th on the
// range is whole and synchronised.
#pragma once
#include "mql5_runtime.h"

#include <fstream>
#include <map>

enum ENUM_TIMEFRAMES { PERIOD_CURRENT = 0, PERIOD_M1 = 1 };
enum ENUM_SERIES_INFO_INTEGER { SERIES_BARS_COUNT, SERIES_SYNCHRONIZED = 5 };
#define ERR_HISTORY_NOT_FOUND 4401

struct MqlRates {
  datetime time; double open; double high; double low; double close; long tick_volume;
  int spread; long real_volume;
};

inline std::map<std::string, std::vector<MqlRates>> &_mql_history() {
  static std::map<std::string, std::vector<MqlRates>> h;
  return h;
}
inline std::map<std::string, int> &_mql_copies() { static std::map<std::string, int> c; return c; }

inline const std::vector<MqlRates> *_mql_rates(const std::string &symbol) {
  auto &h = _mql_history();
  auto it = h.find(symbol);
  if (it != h.end()) return &it->second;
  const char *dir = std::getenv("MQL5_FILES");
  std::ifstream in(std::string(dir ? dir : ".") + "/" + symbol + "_M1.csv");
  if (!in) return nullptr;
  std::vector<MqlRates> rows;
  std::string line;
  while (std::getline(in, line)) {
    MqlRates r{};
    if (std::sscanf(line.c_str(), "%ld,%lf,%lf,%lf,%lf,%ld,%d", &r.time, &r.open, &r.high, &r.low,
                    &r.close, &r.tick_volume, &r.spread) == 7)
      rows.push_back(r);
  }
  return &(h[symbol] = rows);
}

inline datetime _mql_now() {
  const char *now = std::getenv("MQL5_NOW");
  return now ? (datetime)std::atol(now) : (datetime)std::time(nullptr);
}
inline int _mql_loading() {
  const char *k = std::getenv("MQL5_RATES_LOADING");
  return k ? std::atoi(k) : 0;
}

inline bool SymbolSelect(const string &name, bool) { return _mql_rates(name.s) != nullptr; }

// the open time of the bar at shift 0 (the open one), 0 when the symbol has no history
inline datetime iTime(const string &symbol, ENUM_TIMEFRAMES, int shift) {
  const auto *rows = _mql_rates(symbol.s);
  if (rows == nullptr || rows->empty()) return 0;
  return _mql_now() / 60 * 60 - (datetime)shift * 60;
}

inline long SeriesInfoInteger(const string &symbol, ENUM_TIMEFRAMES, ENUM_SERIES_INFO_INTEGER prop) {
  const auto *rows = _mql_rates(symbol.s);
  if (rows == nullptr) return 0;
  if (prop == SERIES_SYNCHRONIZED) return _mql_copies()[symbol.s] > _mql_loading() ? 1 : 0;
  return (long)rows->size();
}

// the bars opened in [start, stop], oldest first (the date-range form)
inline int CopyRates(const string &symbol, ENUM_TIMEFRAMES, datetime start, datetime stop,
                     _mql_array<MqlRates> &out) {
  const auto *rows = _mql_rates(symbol.s);
  if (rows == nullptr) {
    _mql_last_error() = ERR_HISTORY_NOT_FOUND;
    return -1;
  }
  int call = ++_mql_copies()[symbol.s];
  int loading = _mql_loading();
  if (loading > 0 && call == 1) {
    _mql_last_error() = ERR_HISTORY_NOT_FOUND;
    return -1;
  }
  std::vector<MqlRates> got;
  datetime open_bar = _mql_now() / 60 * 60;
  for (const auto &r : *rows)
    if (r.time >= start && r.time <= stop && r.time < open_bar) got.push_back(r);
  if (call <= loading) got.erase(got.begin(), got.begin() + (long)(got.size() / 2));
  out.v.assign(got.begin(), got.end());
  return (int)got.size();
}
