// The rest of the terminal for running the whole EA (Experts/MT5Bridge.mq5) on Linux: the market
// (ticks, M1 bars, the trade server's time), the account, the terminal's flags, the deal history,
// the lists of positions and orders, the chart's Comment and Alert, the timer and the trade
// transactions. Everything is answered by the broker outside this process
// (tests/ea_broker.py, over mql5_trade_runtime.h's connection), which plays a market the test
// drives forward a minute at a time.
//
// The driver (the test's C++ main) plays the terminal's event loop: OnInit, then OnTimer at the
// period the EA asked for, and after each handler the trade transactions the broker queued, one
// OnTradeTransaction each, in order (MQL5 queues them while a handler runs and delivers them
// after it returns). Like the terminal, nothing here interrupts a running handler.
#pragma once
#include "mql5_trade_runtime.h"

#include <deque>

#define INIT_SUCCEEDED 0
#define INIT_FAILED 1
#define INIT_PARAMETERS_INCORRECT 32767
#define COPY_TICKS_ALL (-1)
#define ERR_HISTORY_NOT_FOUND 4401

enum ENUM_TIMEFRAMES { PERIOD_CURRENT = 0, PERIOD_M1 = 1 };
enum ENUM_SERIES_INFO_INTEGER { SERIES_BARS_COUNT, SERIES_SYNCHRONIZED = 5 };
enum ENUM_DAY_OF_WEEK { SUNDAY, MONDAY, TUESDAY, WEDNESDAY, THURSDAY, FRIDAY, SATURDAY };
enum ENUM_TERMINAL_INFO_INTEGER { TERMINAL_BUILD = 800, TERMINAL_CONNECTED, TERMINAL_TRADE_ALLOWED };
enum ENUM_MQL_INFO_INTEGER { MQL_TRADE_ALLOWED = 850 };
enum ENUM_ACCOUNT_INFO_DOUBLE { ACCOUNT_BALANCE = 650, ACCOUNT_EQUITY, ACCOUNT_MARGIN, ACCOUNT_MARGIN_FREE };
enum ENUM_ACCOUNT_INFO_STRING { ACCOUNT_SERVER = 680, ACCOUNT_CURRENCY, ACCOUNT_COMPANY };
enum ENUM_DEAL_PROPERTY_INTEGER {
  DEAL_ORDER = 1000, DEAL_POSITION_ID, DEAL_TYPE, DEAL_ENTRY, DEAL_MAGIC, DEAL_TIME_MSC, DEAL_REASON
};
enum ENUM_DEAL_PROPERTY_DOUBLE { DEAL_VOLUME = 1020, DEAL_PRICE, DEAL_COMMISSION, DEAL_SWAP, DEAL_PROFIT };
enum ENUM_DEAL_PROPERTY_STRING { DEAL_SYMBOL = 1040, DEAL_COMMENT };
enum ENUM_DEAL_TYPE { DEAL_TYPE_BUY, DEAL_TYPE_SELL };
// MQL5's numbers: the EA sends the state of an order that left the book to the brain
enum ENUM_ORDER_STATE {
  ORDER_STATE_STARTED, ORDER_STATE_PLACED, ORDER_STATE_CANCELED, ORDER_STATE_PARTIAL, ORDER_STATE_FILLED,
  ORDER_STATE_REJECTED, ORDER_STATE_EXPIRED
};
enum ENUM_TRADE_TRANSACTION_TYPE {
  TRADE_TRANSACTION_ORDER_ADD = 0, TRADE_TRANSACTION_ORDER_UPDATE = 1, TRADE_TRANSACTION_ORDER_DELETE = 2,
  TRADE_TRANSACTION_HISTORY_ADD = 3, TRADE_TRANSACTION_DEAL_ADD = 6, TRADE_TRANSACTION_POSITION = 9,
  TRADE_TRANSACTION_REQUEST = 10
};

struct MqlRates {
  datetime time; double open; double high; double low; double close; long tick_volume;
  int spread; long real_volume;
};
struct MqlTradeTransaction {
  ulong deal; ulong order; string symbol; ENUM_TRADE_TRANSACTION_TYPE type; ENUM_ORDER_TYPE order_type;
  ENUM_ORDER_STATE order_state; ENUM_DEAL_TYPE deal_type; ENUM_ORDER_TYPE_TIME time_type;
  datetime time_expiration; double price; double price_trigger; double price_sl; double price_tp;
  double volume; ulong position; ulong position_by;
};

inline long _atol(const std::string &x) { return std::atol(x.c_str()); }
inline double _atof(const std::string &x) { return std::atof(x.c_str()); }

//------------------------------------------------------------------------------ time and market
// the trade server's time (its clock runs on while no quote comes: TimeTradeServer) and the last
// quote's (TimeCurrent); the broker's market clock is both here, its offset to UTC gives TimeGMT
inline datetime TimeTradeServer() { return (datetime)(_atol(_broker_call("now")[0]) / 1000); }
inline datetime TimeCurrent() { return TimeTradeServer(); }
inline datetime TimeGMT() { return (datetime)(_atol(_broker_call("now")[1]) / 1000); }

// ticks with time_msc >= from_msc, oldest first, at most count (the broker keeps what it played)
inline int CopyTicks(const string &symbol, _mql_array<MqlTick> &out, int, ulong from_msc, uint count) {
  auto r = _broker_call("ticks\t" + symbol.s + "\t" + _int((long)from_msc) + "\t" + _int((long)count));
  int n = (int)_atol(r[0]);
  if (n < 0) {
    _mql_last_error() = ERR_HISTORY_NOT_FOUND;
    return -1;
  }
  out.v.assign((size_t)n, MqlTick());
  for (int i = 0; i < n; i++) {
    MqlTick &t = out.v[(size_t)i];
    t.time_msc = _atol(r[(size_t)(1 + 3 * i)]);
    t.time = (datetime)(t.time_msc / 1000);
    t.bid = _atof(r[(size_t)(2 + 3 * i)]);
    t.ask = _atof(r[(size_t)(3 + 3 * i)]);
    t.flags = 6;  // TICK_FLAG_BID | TICK_FLAG_ASK
  }
  return n;
}

// the open time of the bar at shift 0 (the one still open)
inline datetime iTime(const string &, ENUM_TIMEFRAMES, int shift) {
  return TimeTradeServer() / 60 * 60 - (datetime)shift * 60;
}
inline long SeriesInfoInteger(const string &, ENUM_TIMEFRAMES, ENUM_SERIES_INFO_INTEGER prop) {
  return prop == SERIES_SYNCHRONIZED ? 1 : 0;
}
// the closed M1 bars opened in [start, stop], oldest first (the date-range form)
inline int CopyRates(const string &symbol, ENUM_TIMEFRAMES, datetime start, datetime stop,
                     _mql_array<MqlRates> &out) {
  auto r = _broker_call("rates\t" + symbol.s + "\t" + _int(start) + "\t" + _int(stop));
  int n = (int)_atol(r[0]);
  if (n < 0) {
    _mql_last_error() = ERR_HISTORY_NOT_FOUND;
    return -1;
  }
  out.v.assign((size_t)n, MqlRates());
  for (int i = 0; i < n; i++) {
    MqlRates &b = out.v[(size_t)i];
    size_t k = (size_t)(1 + 7 * i);
    b.time = (datetime)_atol(r[k]);
    b.open = _atof(r[k + 1]);
    b.high = _atof(r[k + 2]);
    b.low = _atof(r[k + 3]);
    b.close = _atof(r[k + 4]);
    b.tick_volume = _atol(r[k + 5]);
    b.spread = (int)_atol(r[k + 6]);
  }
  return n;
}

//------------------------------------------------------------------------------ symbols
inline int SymbolsTotal(bool) { return (int)_atol(_broker_call("symbols")[0]); }
inline string SymbolName(int i, bool) { return string(_broker_call("symbols")[(size_t)(1 + i)]); }
// no trading sessions: the symbol trades around the clock (the brain's spec says so by none)
inline bool SymbolInfoSessionTrade(const string &, ENUM_DAY_OF_WEEK, uint, datetime &, datetime &) {
  return false;
}
inline bool SymbolInfoMarginRate(const string &symbol, ENUM_ORDER_TYPE, double &initial, double &maintenance) {
  auto r = _broker_call("margin_rate\t" + symbol.s);
  initial = maintenance = _atof(r[0]);
  return true;
}

//------------------------------------------------------------------------------ account, terminal
inline double AccountInfoDouble(int prop) { return _atof(_broker_call("account_double\t" + _int(prop))[0]); }
inline string AccountInfoString(int prop) { return string(_broker_call("account_string\t" + _int(prop))[0]); }
inline long TerminalInfoInteger(int prop) { return _atol(_broker_call("terminal\t" + _int(prop))[0]); }
inline long MQLInfoInteger(int prop) { return _atol(_broker_call("terminal\t" + _int(prop))[0]); }

//------------------------------------------------------------------------------ positions, orders
inline std::vector<std::string> &_list() { static std::vector<std::string> v; return v; }
inline int PositionsTotal() { _list() = _broker_call("positions"); return (int)_atol(_list()[0]); }
inline ulong PositionGetTicket(int i) {
  ulong t = (ulong)_atol(_broker_call("positions")[(size_t)(1 + i)]);
  return PositionSelectByTicket(t) ? t : 0;
}
inline int OrdersTotal() { return (int)_atol(_broker_call("orders")[0]); }
inline ulong OrderGetTicket(int i) {
  ulong t = (ulong)_atol(_broker_call("orders")[(size_t)(1 + i)]);
  return OrderSelect(t) ? t : 0;
}

//------------------------------------------------------------------------------ deal history
// HistorySelect and HistoryDealSelect copy deals into the program's cache; HistoryDealGet* read
// the cache (0 or "" for a deal not in it, as MQL5)
inline std::map<ulong, std::map<int, std::string>> &_deals() {
  static std::map<ulong, std::map<int, std::string>> d;
  return d;
}
inline std::vector<ulong> &_deal_list() { static std::vector<ulong> v; return v; }
inline bool HistoryDealSelect(ulong ticket) {
  auto r = _broker_call("deal\t" + _int((long)ticket));
  if (r[0] != "1") {
    _mql_last_error() = 4755;  // ERR_TRADE_DEAL_NOT_FOUND
    return false;
  }
  auto &props = _deals()[ticket];
  for (size_t i = 1; i + 1 < r.size(); i += 2) props[std::atoi(r[i].c_str())] = r[i + 1];
  return true;
}
inline bool HistorySelect(datetime from, datetime to) {
  auto r = _broker_call("deals\t" + _int(from) + "\t" + _int(to));
  _deal_list().clear();
  for (size_t i = 1; i < r.size(); i++) {
    ulong t = (ulong)_atol(r[i]);
    if (HistoryDealSelect(t)) _deal_list().push_back(t);
  }
  return true;
}
inline int HistoryDealsTotal() { return (int)_deal_list().size(); }
inline ulong HistoryDealGetTicket(int i) {
  return i >= 0 && (size_t)i < _deal_list().size() ? _deal_list()[(size_t)i] : 0;
}
inline std::string _deal_prop(ulong ticket, int prop) {
  auto it = _deals().find(ticket);
  if (it == _deals().end()) return "";
  auto p = it->second.find(prop);
  return p == it->second.end() ? "" : p->second;
}
inline long HistoryDealGetInteger(ulong ticket, int prop) { return _atol(_deal_prop(ticket, prop)); }
inline double HistoryDealGetDouble(ulong ticket, int prop) { return _atof(_deal_prop(ticket, prop)); }
inline string HistoryDealGetString(ulong ticket, int prop) { return string(_deal_prop(ticket, prop)); }

//------------------------------------------------------------------------------ chart, events
template <class... A> void Comment(const A &...args) {
  std::ostringstream o;
  (o << ... << args);
  static std::string last;
  if (o.str() != last && !o.str().empty()) std::cout << "COMMENT " << o.str() << std::endl;
  last = o.str();
}
template <class... A> void Alert(const A &...args) {
  std::ostringstream o;
  (o << ... << args);
  std::cout << "ALERT " << o.str() << std::endl;
}
inline string StringFormat(const string &fmt, int a, int b) {
  char buf[256];
  std::snprintf(buf, sizeof buf, fmt.s.c_str(), a, b);
  return string(buf);
}
inline int &_mql_timer_ms() { static int ms = 0; return ms; }
inline bool EventSetMillisecondTimer(int ms) { _mql_timer_ms() = ms; return true; }
inline void EventKillTimer() { _mql_timer_ms() = 0; }

// the next trade transaction the broker queued; false when there is none
inline bool _mql_next_transaction(MqlTradeTransaction &t) {
  auto r = _broker_call("transaction");
  if (r[0] != "1") return false;
  t = MqlTradeTransaction();
  t.type = (ENUM_TRADE_TRANSACTION_TYPE)_atol(r[1]);
  t.order = (ulong)_atol(r[2]);
  t.deal = (ulong)_atol(r[3]);
  t.position = (ulong)_atol(r[4]);
  t.order_type = (ENUM_ORDER_TYPE)_atol(r[5]);
  t.order_state = (ENUM_ORDER_STATE)_atol(r[6]);
  t.symbol = string(r[7]);
  return true;
}
// the driver's question between handlers: is the test's market over (the run ends)?
inline bool _mql_market_over() { return _broker_call("over")[0] == "1"; }

// an input as the EA's dialog would set it: $MQL5_INPUT_<name> when set, else its default (the
// test's copy of the EA declares `input int InpPort = _mql_input("InpPort", 5555);`)
inline int _mql_input(const string &name, int dflt) {
  const char *v = std::getenv(("MQL5_INPUT_" + name.s).c_str());
  return v ? std::atoi(v) : dflt;
}
inline string _mql_input(const string &name, const string &dflt) {
  const char *v = std::getenv(("MQL5_INPUT_" + name.s).c_str());
  return v ? string(v) : dflt;
}
