// The MQL5 trade, position, order, symbol and account functions for running EA code on Linux,
// answered by a broker outside this process: the project's broker simulator, reached over a
// TCP connection to 127.0.0.1:$MQL5_BROKER (tests/ea_broker.py). One request per call, a line
// of tab-separated fields each way. Selecting a position or an order copies its properties, as
// MQL5 does; PositionGet*/OrderGet* read that copy. Enumerations keep MQL5's numbers where the
// EA depends on them (order types, trade actions, margin modes, filling and expiration flags).
#pragma once
#include "mql5_runtime.h"

#include <map>

enum ENUM_ORDER_TYPE {
  ORDER_TYPE_BUY, ORDER_TYPE_SELL, ORDER_TYPE_BUY_LIMIT, ORDER_TYPE_SELL_LIMIT,
  ORDER_TYPE_BUY_STOP, ORDER_TYPE_SELL_STOP, ORDER_TYPE_BUY_STOP_LIMIT, ORDER_TYPE_SELL_STOP_LIMIT,
  ORDER_TYPE_CLOSE_BY
};
enum ENUM_ORDER_TYPE_FILLING { ORDER_FILLING_FOK, ORDER_FILLING_IOC, ORDER_FILLING_RETURN, ORDER_FILLING_BOC };
enum ENUM_ORDER_TYPE_TIME { ORDER_TIME_GTC, ORDER_TIME_DAY, ORDER_TIME_SPECIFIED, ORDER_TIME_SPECIFIED_DAY };
enum ENUM_TRADE_REQUEST_ACTIONS {
  TRADE_ACTION_DEAL = 1, TRADE_ACTION_PENDING = 5, TRADE_ACTION_SLTP = 6,
  TRADE_ACTION_MODIFY = 7, TRADE_ACTION_REMOVE = 8, TRADE_ACTION_CLOSE_BY = 10
};
enum ENUM_POSITION_TYPE { POSITION_TYPE_BUY, POSITION_TYPE_SELL };
enum ENUM_ACCOUNT_MARGIN_MODE {
  ACCOUNT_MARGIN_MODE_RETAIL_NETTING, ACCOUNT_MARGIN_MODE_EXCHANGE, ACCOUNT_MARGIN_MODE_RETAIL_HEDGING
};
// properties: numbered here; the broker answers them by name
enum ENUM_SYMBOL_INFO_INTEGER {
  SYMBOL_DIGITS = 100, SYMBOL_TRADE_STOPS_LEVEL, SYMBOL_TRADE_FREEZE_LEVEL, SYMBOL_FILLING_MODE,
  SYMBOL_EXPIRATION_MODE, SYMBOL_TRADE_MODE
};
enum ENUM_SYMBOL_INFO_DOUBLE {
  SYMBOL_BID = 200, SYMBOL_ASK, SYMBOL_POINT, SYMBOL_VOLUME_MIN, SYMBOL_VOLUME_MAX, SYMBOL_VOLUME_STEP,
  SYMBOL_TRADE_TICK_SIZE, SYMBOL_TRADE_TICK_VALUE, SYMBOL_TRADE_CONTRACT_SIZE, SYMBOL_SWAP_LONG,
  SYMBOL_SWAP_SHORT
};
enum ENUM_POSITION_PROPERTY_INTEGER { POSITION_TICKET = 300, POSITION_TYPE, POSITION_MAGIC, POSITION_TIME_MSC };
enum ENUM_POSITION_PROPERTY_DOUBLE {
  POSITION_VOLUME = 400, POSITION_PRICE_OPEN, POSITION_SL, POSITION_TP, POSITION_PROFIT, POSITION_SWAP
};
enum ENUM_POSITION_PROPERTY_STRING { POSITION_SYMBOL = 500, POSITION_COMMENT };
enum ENUM_ACCOUNT_INFO_INTEGER {
  ACCOUNT_LOGIN = 600, ACCOUNT_MARGIN_MODE, ACCOUNT_LEVERAGE, ACCOUNT_TRADE_ALLOWED, ACCOUNT_TRADE_EXPERT,
  ACCOUNT_TRADE_MODE
};
enum ENUM_ORDER_PROPERTY_INTEGER { ORDER_TICKET = 700, ORDER_TYPE, ORDER_MAGIC, ORDER_TIME_SETUP_MSC };
enum ENUM_ORDER_PROPERTY_DOUBLE { ORDER_VOLUME_CURRENT = 720, ORDER_PRICE_OPEN, ORDER_SL, ORDER_TP };
enum ENUM_ORDER_PROPERTY_STRING { ORDER_SYMBOL = 740, ORDER_COMMENT };
#define SYMBOL_FILLING_FOK 1
#define SYMBOL_FILLING_IOC 2
#define SYMBOL_EXPIRATION_GTC 1
#define SYMBOL_EXPIRATION_DAY 2

struct MqlTick {
  datetime time; double bid; double ask; double last; ulong volume; long time_msc; uint flags;
  double volume_real;
};
struct MqlTradeRequest {
  ENUM_TRADE_REQUEST_ACTIONS action; ulong magic; ulong order; string symbol; double volume;
  double price; double stoplimit; double sl; double tp; ulong deviation; ENUM_ORDER_TYPE type;
  ENUM_ORDER_TYPE_FILLING type_filling; ENUM_ORDER_TYPE_TIME type_time; datetime expiration;
  string comment; ulong position; ulong position_by;
};
struct MqlTradeResult {
  uint retcode; ulong deal; ulong order; double volume; double price; double bid; double ask;
  string comment; uint request_id; int retcode_external;
};
template <class T> void ZeroMemory(T &v) { v = T(); }
inline double NormalizeDouble(double v, int digits) {
  double f = std::pow(10.0, digits);
  return std::round(v * f) / f;
}
inline double MathAbs(double v) { return std::fabs(v); }

//------------------------------------------------------------------------------ the connection
inline FILE *&_broker() { static FILE *f = nullptr; return f; }
inline std::vector<std::string> _broker_call(const std::string &line) {
  if (!_broker()) {
    const char *port = std::getenv("MQL5_BROKER");
    if (!port) throw std::runtime_error("MQL5_BROKER is not set: no broker to ask");
    int s = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)std::atoi(port));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(s, (sockaddr *)&a, sizeof a) != 0) throw std::runtime_error("broker unreachable");
    _broker() = fdopen(s, "r+");
  }
  std::fputs((line + "\n").c_str(), _broker());
  std::fflush(_broker());
  std::string r;  // one line, however long (a CopyTicks answer holds up to 1000 ticks)
  int ch;
  while ((ch = std::fgetc(_broker())) != EOF && ch != '\n') r.push_back((char)ch);
  if (ch == EOF && r.empty()) throw std::runtime_error("broker closed");
  std::vector<std::string> out;
  size_t start = 0;
  while (true) {
    size_t tab = r.find('\t', start);
    out.push_back(r.substr(start, tab == std::string::npos ? std::string::npos : tab - start));
    if (tab == std::string::npos) break;
    start = tab + 1;
  }
  return out;
}
inline std::string _num(double v) { char b[64]; std::snprintf(b, sizeof b, "%.10g", v); return b; }
inline std::string _int(long v) { return std::to_string(v); }

//------------------------------------------------------------------------------ symbols, account
inline bool SymbolSelect(const string &name, bool) { return _broker_call("select\t" + name.s)[0] == "1"; }
inline long SymbolInfoInteger(const string &sym, int prop) {
  return std::atol(_broker_call("sym_int\t" + sym.s + "\t" + _int(prop))[0].c_str());
}
inline double SymbolInfoDouble(const string &sym, int prop) {
  return std::atof(_broker_call("sym_double\t" + sym.s + "\t" + _int(prop))[0].c_str());
}
inline bool SymbolInfoTick(const string &sym, MqlTick &t) {
  auto r = _broker_call("tick\t" + sym.s);
  if (r[0] != "1") return false;
  t = MqlTick();
  t.bid = std::atof(r[1].c_str());
  t.ask = std::atof(r[2].c_str());
  t.time_msc = std::atol(r[3].c_str());
  t.time = (datetime)(t.time_msc / 1000);
  return true;
}
inline long AccountInfoInteger(int prop) {
  return std::atol(_broker_call("account_int\t" + _int(prop))[0].c_str());
}

//------------------------------------------------------------------------------ selected copies
// a selected position and a selected order are kept apart, as in MQL5
inline std::map<int, std::string> &_selected() { static std::map<int, std::string> m; return m; }
inline std::map<int, std::string> &_selected_order() { static std::map<int, std::string> m; return m; }
inline bool _select(const std::string &what, ulong ticket, std::map<int, std::string> &into) {
  auto r = _broker_call(what + "\t" + _int((long)ticket));
  into.clear();
  if (r[0] != "1") return false;
  for (size_t i = 1; i + 1 < r.size(); i += 2) into[std::atoi(r[i].c_str())] = r[i + 1];
  return true;
}
inline bool PositionSelectByTicket(ulong ticket) { return _select("position", ticket, _selected()); }
inline bool OrderSelect(ulong ticket) { return _select("order", ticket, _selected_order()); }
inline long PositionGetInteger(int prop) { return std::atol(_selected()[prop].c_str()); }
inline double PositionGetDouble(int prop) { return std::atof(_selected()[prop].c_str()); }
inline string PositionGetString(int prop) { return string(_selected()[prop]); }
inline long OrderGetInteger(int prop) { return std::atol(_selected_order()[prop].c_str()); }
inline double OrderGetDouble(int prop) { return std::atof(_selected_order()[prop].c_str()); }
inline string OrderGetString(int prop) { return string(_selected_order()[prop]); }

//------------------------------------------------------------------------------ trading
inline bool OrderSend(MqlTradeRequest &q, MqlTradeResult &res) {
  std::string line = "send\t" + _int(q.action) + "\t" + _int((long)q.magic) + "\t" + _int((long)q.order) +
                     "\t" + q.symbol.s + "\t" + _num(q.volume) + "\t" + _num(q.price) + "\t" + _num(q.sl) +
                     "\t" + _num(q.tp) + "\t" + _int((long)q.deviation) + "\t" + _int(q.type) + "\t" +
                     _int(q.type_filling) + "\t" + _int(q.type_time) + "\t" + q.comment.s + "\t" +
                     _int((long)q.position) + "\t" + _int((long)q.position_by);
  auto r = _broker_call(line);
  res = MqlTradeResult();
  bool ok = r[0] == "1";
  res.retcode = (uint)std::atol(r[1].c_str());
  res.order = (ulong)std::atol(r[2].c_str());
  res.deal = (ulong)std::atol(r[3].c_str());
  res.volume = std::atof(r[4].c_str());
  res.price = std::atof(r[5].c_str());
  res.comment = string(r.size() > 6 ? r[6] : "");
  if (!ok) _mql_last_error() = 4756;  // ERR_TRADE_SEND_FAILED
  return ok;
}
