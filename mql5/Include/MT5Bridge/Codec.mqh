//+------------------------------------------------------------------+
//| Codec.mqh: the frames of docs/protocol.md                        |
//| A frame is TAG|seq|field|... in ASCII. Floats: fixed notation,  |
//| at most 8 decimals, no trailing zeros; text never holds '|' or   |
//| line breaks.                                                     |
//+------------------------------------------------------------------+
#ifndef MT5BRIDGE_CODEC_MQH
#define MT5BRIDGE_CODEC_MQH

#define BRIDGE_PROTOCOL_VERSION "2.1"

string BridgeNum(const double x)
  {
   string s = DoubleToString(x, 8);
   int n = StringLen(s);
   while(n > 0 && StringGetCharacter(s, n - 1) == '0')
      n--;
   if(n > 0 && StringGetCharacter(s, n - 1) == '.')
      n--;
   s = StringSubstr(s, 0, n);
   if(s == "-0" || s == "")
      s = "0";
   return(s);
  }

string BridgeInt(const long x) { return(IntegerToString(x)); }

//--- free text as the protocol carries it: ASCII, no '|' or line breaks (a terminal in another
//--- language answers with retcode descriptions the brain would otherwise refuse as a bad frame)
string BridgeText(const string text)
  {
   string s = text;
   StringReplace(s, "|", " ");
   StringReplace(s, "\n", " ");
   StringReplace(s, "\r", " ");
   int n = StringLen(s);
   for(int i = 0; i < n; i++)
     {
      ushort c = StringGetCharacter(s, i);
      if(c < 32 || c > 126)
         StringSetCharacter(s, i, '?');
     }
   return(s);
  }

string BridgeBool(const bool b) { return(b ? "1" : "0"); }

//--- terminal -> brain frames
//--- server: the trade server's name (with the login, the account); nonce: the terminal's own,
//--- which the brain's proof in CHALLENGE must cover
string FrameHello(const long seq, const string terminal_id, const long login, const int flags, const string server,
                  const string nonce)
  {
   return("HELLO|" + BridgeInt(seq) + "|" + BRIDGE_PROTOCOL_VERSION + "|" + BridgeText(terminal_id) + "|" +
          BridgeInt(login) + "|" + BridgeInt(flags) + "|" + BridgeText(server) + "|" + nonce);
  }

string FrameError(const long seq, const int code, const string text)
  {
   return("ERROR|" + BridgeInt(seq) + "|" + BridgeInt(code) + "|" + BridgeText(text));
  }

string FrameAuth(const long seq, const string mac) { return("AUTH|" + BridgeInt(seq) + "|" + mac); }

string FrameHeartbeat(const long seq, const long time_ms) { return("HB|" + BridgeInt(seq) + "|" + BridgeInt(time_ms)); }

string FrameTick(const long seq, const string symbol, const long time_ms, const double bid, const double ask,
                 const double last, const long volume, const long flags)
  {
   return("TICK|" + BridgeInt(seq) + "|" + symbol + "|" + BridgeInt(time_ms) + "|" + BridgeNum(bid) + "|" +
          BridgeNum(ask) + "|" + BridgeNum(last) + "|" + BridgeInt(volume) + "|" + BridgeInt(flags));
  }

string FrameBar(const long seq, const string symbol, const long time_ms, const double open, const double high,
                const double low, const double close, const long tick_volume, const long spread)
  {
   return("BAR|" + BridgeInt(seq) + "|" + symbol + "|1|" + BridgeInt(time_ms) + "|" + BridgeNum(open) + "|" +
          BridgeNum(high) + "|" + BridgeNum(low) + "|" + BridgeNum(close) + "|" + BridgeInt(tick_volume) + "|" +
          BridgeInt(spread));
  }

string FrameAccount(const long seq, const long login, const double balance, const double equity,
                    const double margin, const double free_margin, const long leverage, const string currency,
                    const bool hedging, const long time_ms)
  {
   return("ACCOUNT|" + BridgeInt(seq) + "|" + BridgeInt(login) + "|" + BridgeNum(balance) + "|" +
          BridgeNum(equity) + "|" + BridgeNum(margin) + "|" + BridgeNum(free_margin) + "|" + BridgeInt(leverage) +
          "|" + BridgeText(currency) + "|" + BridgeBool(hedging) + "|" + BridgeInt(time_ms));
  }

string FramePosition(const long seq, const ulong ticket, const string symbol, const bool is_buy,
                     const double volume, const double price_open, const double sl, const double tp,
                     const long magic, const double profit, const double swap, const long time_ms,
                     const string client_id)
  {
   return("POS|" + BridgeInt(seq) + "|" + BridgeInt((long)ticket) + "|" + symbol + "|" + BridgeBool(is_buy) +
          "|" + BridgeNum(volume) + "|" + BridgeNum(price_open) + "|" + BridgeNum(sl) + "|" + BridgeNum(tp) + "|" +
          BridgeInt(magic) + "|" + BridgeNum(profit) + "|" + BridgeNum(swap) + "|" + BridgeInt(time_ms) + "|" +
          BridgeText(client_id));
  }

string FrameOrder(const long seq, const ulong ticket, const string client_id, const string symbol,
                  const int order_type, const double volume, const double price, const double sl,
                  const double tp, const long magic, const long time_ms)
  {
   return("ORD|" + BridgeInt(seq) + "|" + BridgeInt((long)ticket) + "|" + BridgeText(client_id) + "|" + symbol +
          "|" + BridgeInt(order_type) + "|" + BridgeNum(volume) + "|" + BridgeNum(price) + "|" + BridgeNum(sl) +
          "|" + BridgeNum(tp) + "|" + BridgeInt(magic) + "|" + BridgeInt(time_ms));
  }

string FrameDeal(const long seq, const ulong ticket, const ulong order, const ulong position_id,
                 const string client_id, const string symbol, const bool is_buy, const int entry,
                 const double volume, const double price, const double commission, const double swap,
                 const double profit, const long magic, const long time_ms, const int reason)
  {
   return("DEAL|" + BridgeInt(seq) + "|" + BridgeInt((long)ticket) + "|" + BridgeInt((long)order) + "|" +
          BridgeInt((long)position_id) + "|" + BridgeText(client_id) + "|" + symbol + "|" + BridgeBool(is_buy) +
          "|" + BridgeInt(entry) + "|" + BridgeNum(volume) + "|" + BridgeNum(price) + "|" + BridgeNum(commission) +
          "|" + BridgeNum(swap) + "|" + BridgeNum(profit) + "|" + BridgeInt(magic) + "|" + BridgeInt(time_ms) + "|" +
          BridgeInt(reason));
  }

//--- the body of a RESULT after "RESULT|seq|": kept as is for exactly-once answers
string ResultBody(const string client_id, const long retcode, const ulong order, const ulong deal,
                  const double volume, const double price, const string text)
  {
   return(BridgeText(client_id) + "|" + BridgeInt(retcode) + "|" + BridgeInt((long)order) + "|" +
          BridgeInt((long)deal) + "|" + BridgeNum(volume) + "|" + BridgeNum(price) + "|" + BridgeText(text));
  }

string FrameResult(const long seq, const string body) { return("RESULT|" + BridgeInt(seq) + "|" + body); }

string FrameClosed(const long seq, const ulong ticket, const long time_ms)
  {
   return("CLOSED|" + BridgeInt(seq) + "|" + BridgeInt((long)ticket) + "|" + BridgeInt(time_ms));
  }

string FrameSpec(const long seq, const string symbol, const long digits, const double point,
                 const double tick_size, const double tick_value, const double contract_size,
                 const double volume_min, const double volume_step, const double volume_max,
                 const long stops_level, const long freeze_level, const long filling_modes,
                 const long trade_mode, const double margin_rate, const double swap_long,
                 const double swap_short, const string sessions)
  {
   return("SPEC|" + BridgeInt(seq) + "|" + symbol + "|" + BridgeInt(digits) + "|" + BridgeNum(point) + "|" +
          BridgeNum(tick_size) + "|" + BridgeNum(tick_value) + "|" + BridgeNum(contract_size) + "|" +
          BridgeNum(volume_min) + "|" + BridgeNum(volume_step) + "|" + BridgeNum(volume_max) + "|" +
          BridgeInt(stops_level) + "|" + BridgeInt(freeze_level) + "|" + BridgeInt(filling_modes) + "|" +
          BridgeInt(trade_mode) + "|" + BridgeNum(margin_rate) + "|" + BridgeNum(swap_long) + "|" +
          BridgeNum(swap_short) + "|" + sessions);
  }

//--- a pending order left the book without a fill (state: ENUM_ORDER_STATE, cancelled/expired...)
string FrameOrderGone(const long seq, const ulong ticket, const long state, const long time_ms)
  {
   return("ORDGONE|" + BridgeInt(seq) + "|" + BridgeInt((long)ticket) + "|" + BridgeInt(state) + "|" +
          BridgeInt(time_ms));
  }

string FrameSnapEnd(const long seq, const long req_id, const int positions, const int orders)
  {
   return("SNAPEND|" + BridgeInt(seq) + "|" + BridgeInt(req_id) + "|" + BridgeInt(positions) + "|" +
          BridgeInt(orders));
  }

string FrameHistoryBar(const long seq, const long req_id, const string symbol, const long time_ms,
                       const double open, const double high, const double low, const double close,
                       const long tick_volume, const long spread)
  {
   return("HBAR|" + BridgeInt(seq) + "|" + BridgeInt(req_id) + "|" + symbol + "|" + BridgeInt(time_ms) + "|" +
          BridgeNum(open) + "|" + BridgeNum(high) + "|" + BridgeNum(low) + "|" + BridgeNum(close) + "|" +
          BridgeInt(tick_volume) + "|" + BridgeInt(spread));
  }

string FrameTerminalInfo(const long seq, const long build, const bool connected, const bool trade_allowed,
                         const bool ea_trade_allowed, const bool account_trade_allowed,
                         const bool account_trade_expert, const long trade_mode, const long server_ms,
                         const long gmt_ms, const string company)
  {
   return("TERMINFO|" + BridgeInt(seq) + "|" + BridgeInt(build) + "|" + BridgeBool(connected) + "|" +
          BridgeBool(trade_allowed) + "|" + BridgeBool(ea_trade_allowed) + "|" + BridgeBool(account_trade_allowed) +
          "|" + BridgeBool(account_trade_expert) + "|" + BridgeInt(trade_mode) + "|" + BridgeInt(server_ms) + "|" +
          BridgeInt(gmt_ms) + "|" + BridgeText(company));
  }

string FrameHistoryEnd(const long seq, const long req_id, const string symbol, const int bars, const int status)
  {
   return("HISTEND|" + BridgeInt(seq) + "|" + BridgeInt(req_id) + "|" + symbol + "|" + BridgeInt(bars) + "|" +
          BridgeInt(status));
  }

//--- a decoded brain -> terminal frame
struct BridgeCommand
  {
   string            tag;
   long              seq;
   string            client_id;
   string            symbol;
   int               order_type;
   double            volume;
   double            price;
   double            sl;
   double            tp;
   long              magic;
   int               deviation;
   int               filling;
   string            comment;
   ulong             ticket;
   ulong             opposite;
   long              number;    // SNAPREQ/DEALSINCE req_id, READY upto, WELCOME heartbeat_ms, ERROR code, HB time
   long              after_ms;  // DEALSINCE: deals made after this server time; HISTREQ: from
   long              to_ms;     // HISTREQ: bars opened before this server time
   string            text;      // CHALLENGE nonce, WELCOME session, ERROR text, HALT reason
   string            version;   // CHALLENGE
   string            proof;     // CHALLENGE: the brain's HMAC over both nonces
  };

bool BridgeFieldCount(const string &parts[], const int want, string &error)
  {
   if(ArraySize(parts) != want)
     {
      error = parts[0] + ": expected " + IntegerToString(want - 2) + " fields, got " +
              IntegerToString(ArraySize(parts) - 2);
      return(false);
     }
   return(true);
  }

//--- false (and a reason) for a frame that cannot be decoded
bool BridgeDecode(const string frame, BridgeCommand &cmd, string &error)
  {
   string parts[];
   int n = StringSplit(frame, '|', parts);
   if(n < 2)
     {
      error = "frame has no sequence number";
      return(false);
     }
   cmd.tag = parts[0];
   cmd.seq = StringToInteger(parts[1]);
   cmd.client_id = "";
   cmd.symbol = "";
   cmd.text = "";
   cmd.version = "";
   cmd.proof = "";
   cmd.ticket = 0;
   cmd.opposite = 0;
   cmd.number = 0;
   cmd.after_ms = 0;
   cmd.to_ms = 0;
   cmd.volume = 0.0;
   cmd.price = 0.0;
   cmd.sl = 0.0;
   cmd.tp = 0.0;
   cmd.order_type = 0;
   cmd.magic = 0;
   cmd.deviation = 0;
   cmd.filling = 0;
   cmd.comment = "";
   if(cmd.tag == "OPEN")
     {
      if(!BridgeFieldCount(parts, 13, error))
         return(false);
      cmd.client_id = parts[2];
      cmd.symbol = parts[3];
      cmd.order_type = (int)StringToInteger(parts[4]);
      cmd.volume = StringToDouble(parts[5]);
      cmd.price = StringToDouble(parts[6]);
      cmd.sl = StringToDouble(parts[7]);
      cmd.tp = StringToDouble(parts[8]);
      cmd.magic = StringToInteger(parts[9]);
      cmd.deviation = (int)StringToInteger(parts[10]);
      cmd.filling = (int)StringToInteger(parts[11]);
      cmd.comment = parts[12];
      return(true);
     }
   if(cmd.tag == "MODIFY")
     {
      if(!BridgeFieldCount(parts, 6, error))
         return(false);
      cmd.client_id = parts[2];
      cmd.ticket = (ulong)StringToInteger(parts[3]);
      cmd.sl = StringToDouble(parts[4]);
      cmd.tp = StringToDouble(parts[5]);
      return(true);
     }
   if(cmd.tag == "CLOSE")
     {
      if(!BridgeFieldCount(parts, 6, error))
         return(false);
      cmd.client_id = parts[2];
      cmd.ticket = (ulong)StringToInteger(parts[3]);
      cmd.volume = StringToDouble(parts[4]);
      cmd.deviation = (int)StringToInteger(parts[5]);
      return(true);
     }
   if(cmd.tag == "CLOSEBY")
     {
      if(!BridgeFieldCount(parts, 5, error))
         return(false);
      cmd.client_id = parts[2];
      cmd.ticket = (ulong)StringToInteger(parts[3]);
      cmd.opposite = (ulong)StringToInteger(parts[4]);
      return(true);
     }
   if(cmd.tag == "CANCEL")
     {
      if(!BridgeFieldCount(parts, 4, error))
         return(false);
      cmd.client_id = parts[2];
      cmd.ticket = (ulong)StringToInteger(parts[3]);
      return(true);
     }
   if(cmd.tag == "QUERY")
     {
      if(!BridgeFieldCount(parts, 3, error))
         return(false);
      cmd.client_id = parts[2];
      return(true);
     }
   if(cmd.tag == "SNAPREQ" || cmd.tag == "READY" || cmd.tag == "HB")
     {
      if(!BridgeFieldCount(parts, 3, error))
         return(false);
      cmd.number = StringToInteger(parts[2]);
      return(true);
     }
   if(cmd.tag == "DEALSINCE")
     {
      if(!BridgeFieldCount(parts, 4, error))
         return(false);
      cmd.number = StringToInteger(parts[2]);
      cmd.after_ms = StringToInteger(parts[3]);
      return(true);
     }
   if(cmd.tag == "HISTREQ")
     {
      if(!BridgeFieldCount(parts, 6, error))
         return(false);
      cmd.number = StringToInteger(parts[2]);
      cmd.symbol = parts[3];
      cmd.after_ms = StringToInteger(parts[4]);
      cmd.to_ms = StringToInteger(parts[5]);
      return(true);
     }
   if(cmd.tag == "HALT")
     {
      if(!BridgeFieldCount(parts, 3, error))
         return(false);
      cmd.text = parts[2];
      return(true);
     }
   if(cmd.tag == "CHALLENGE")
     {
      if(!BridgeFieldCount(parts, 5, error))
         return(false);
      cmd.version = parts[2];
      cmd.text = parts[3];
      cmd.proof = parts[4];
      return(true);
     }
   if(cmd.tag == "WELCOME")
     {
      if(!BridgeFieldCount(parts, 4, error))
         return(false);
      cmd.text = parts[2];
      cmd.number = StringToInteger(parts[3]);
      return(true);
     }
   if(cmd.tag == "ERROR")
     {
      if(!BridgeFieldCount(parts, 4, error))
         return(false);
      cmd.number = StringToInteger(parts[2]);
      cmd.text = parts[3];
      return(true);
     }
   error = "unknown frame type " + cmd.tag;
   return(false);
  }

#endif
