//+------------------------------------------------------------------+
//| MT5Bridge.mq5: the thin EA of mt5bridge                          |
//| Streams every tick and closed M1 bar of the configured symbols   |
//| to the brain over ZeroMQ (ZMTP 3.0 spoken natively: no DLL),     |
//| executes the brain's commands and reports fills, positions and   |
//| the account. No strategy logic lives here. See docs/ea.md.       |
//+------------------------------------------------------------------+
#property copyright "mt5bridge"
#property version   "1.00"
#property strict

#include <MT5Bridge\Session.mqh>
#include <MT5Bridge\Executor.mqh>
#include <MT5Bridge\History.mqh>

input string InpHost         = "127.0.0.1";            // brain host (add it to the allowed URLs)
input int    InpPort         = 5555;                   // brain port
input string InpSecret       = "";                     // shared secret (the brain's MT5BRIDGE_SECRET)
input string InpSymbols      = "US100,SPX500,XAUUSD";  // symbols to stream, comma separated
input long   InpMagicBase    = 2000;                   // magic number when a command names none
input int    InpHeartbeatMs  = 0;                      // heartbeat interval (0: the brain's)
input int    InpSilenceMs    = 5000;                   // reconnect when the brain is silent this long
input int    InpDeviation    = 20;                     // max slippage in points when a command names none
input int    InpTimerMs      = 1;                      // timer period asked of the terminal
input int    InpPollBudgetMs = 5;                      // time each timer event spends waiting for commands
input string InpTerminalId   = "";                     // name of this terminal (default: the login)

CBridgeSession  g_session;
BridgeHistory   g_history;      // HISTREQ answers in progress
CBridgeExecutor g_exec;
string          g_symbols[];
long            g_last_msc[];     // time of the last tick sent, per symbol
int             g_same_msc[];     // ticks already sent with exactly that time
datetime        g_cur_bar[];      // open time of the M1 bar in progress, per symbol

ulong           g_pending_deals[];   // deals whose history was not readable yet: sent when it is
int             g_deal_tries[];
bool            g_trade_allowed = true;
bool            g_broker_connected = true;
string          g_status = "starting";
long            g_commands = 0;

//--- the trade server's time now (TimeCurrent is the last quote's: it stops on weekends)
long NowMs(void) { return((long)TimeTradeServer() * 1000); }

//--- up to five symbols of the terminal whose names start with ``name`` (broker suffixes)
string SuffixHint(const string name)
  {
   string found = "";
   int hits = 0;
   int total = SymbolsTotal(false);
   for(int i = 0; i < total && hits < 5; i++)
     {
      string cand = SymbolName(i, false);
      if(StringFind(cand, name) == 0)
        {
         found += (found == "" ? "" : ", ") + cand;
         hits++;
        }
     }
   return(found == "" ? "" : " (this broker has: " + found + ")");
  }

//--- algo trading allowed in the terminal and for this EA: checked at start and on change
bool TradeAllowed(void)
  {
   bool now = TerminalInfoInteger(TERMINAL_TRADE_ALLOWED) != 0 && MQLInfoInteger(MQL_TRADE_ALLOWED) != 0;
   if(now != g_trade_allowed)
      Print(now ? "MT5Bridge: algo trading allowed again"
            : "MT5Bridge: algo trading is not allowed: press 'Algo Trading' in the toolbar and tick "
              "'Allow Algo Trading' in this EA's Common tab; orders are refused until then");
   g_trade_allowed = now;
   return(now);
  }

void ShowStatus(void)
  {
   Comment("MT5Bridge ", g_session.IsOpen() ? "connected to " : "not connected to ", InpHost, ":", InpPort,
           " | ", g_status, " | commands ", g_commands, g_trade_allowed ? "" : " | ALGO TRADING OFF",
           g_broker_connected ? "" : " | BROKER DISCONNECTED",
           g_session.LastError() == "" ? "" : " | " + g_session.LastError());
  }

int OnInit(void)
  {
   if(InpSecret == "")
     {
      Print("MT5Bridge: set the input InpSecret to the brain's shared secret");
      return(INIT_PARAMETERS_INCORRECT);
     }
   if(InpPort < 1 || InpPort > 65535)
     {
      Print("MT5Bridge: InpPort ", InpPort, " is not a port (1 to 65535)");
      return(INIT_PARAMETERS_INCORRECT);
     }
   if(InpHeartbeatMs < 0 || InpSilenceMs < 100 || (InpHeartbeatMs > 0 && InpSilenceMs < 2 * InpHeartbeatMs))
     {
      Print("MT5Bridge: InpSilenceMs (", InpSilenceMs, ") must be at least 100 and twice InpHeartbeatMs (",
            InpHeartbeatMs, "), or every quiet moment reads as a lost brain");
      return(INIT_PARAMETERS_INCORRECT);
     }
   string parts[];
   int n = StringSplit(InpSymbols, ',', parts);
   ArrayResize(g_symbols, 0);
   for(int i = 0; i < n; i++)
     {
      string s = parts[i];
      StringTrimLeft(s);
      StringTrimRight(s);
      if(s == "")
         continue;
      for(int j = 0; j < ArraySize(g_symbols); j++)
         if(g_symbols[j] == s)
           {
            Print("MT5Bridge: symbol ", s, " is listed twice in InpSymbols");
            return(INIT_PARAMETERS_INCORRECT);
           }
      if(!SymbolSelect(s, true))
        {
         Print("MT5Bridge: unknown symbol ", s, SuffixHint(s));
         return(INIT_PARAMETERS_INCORRECT);
        }
      int k = ArraySize(g_symbols);
      ArrayResize(g_symbols, k + 1);
      g_symbols[k] = s;
     }
   int count = ArraySize(g_symbols);
   ArrayResize(g_last_msc, count);
   ArrayResize(g_same_msc, count);
   ArrayResize(g_cur_bar, count);
   long login = AccountInfoInteger(ACCOUNT_LOGIN);
   g_exec.Init(login);
   string id = InpTerminalId != "" ? InpTerminalId : "mt5-" + IntegerToString(login);
   g_session.Configure(InpHost, (uint)InpPort, InpSecret, id, login, AccountInfoString(ACCOUNT_SERVER));
   g_session.SetHeartbeatOverride(InpHeartbeatMs);
   EventSetMillisecondTimer(InpTimerMs > 1 ? InpTimerMs : 1);
   TradeAllowed();   // says so at start when algo trading is off
   Connect();
   ShowStatus();
   return(INIT_SUCCEEDED);
  }

void OnDeinit(const int reason)
  {
   EventKillTimer();
   g_session.Close();
   Comment("");
  }

//--- connect, then send the terminal's state; streaming starts from now
void Connect(void)
  {
   if(!g_session.Open(3000))
     {
      if(g_session.LastError() != "")
         Print("MT5Bridge: ", g_session.LastError());
      if(g_session.Refused())
         Alert("MT5Bridge: the brain refused this EA: ", g_session.LastError());
      g_status = "not connected";
      return;
     }
   for(int i = 0; i < ArraySize(g_symbols); i++)
     {
      MqlTick t;
      //--- no tick known yet: streaming starts at the first one (never CopyTicks from 0)
      g_last_msc[i] = SymbolInfoTick(g_symbols[i], t) ? t.time_msc : -1;
      g_same_msc[i] = 1;
      g_cur_bar[i] = iTime(g_symbols[i], PERIOD_M1, 0);
     }
   g_status = "streaming";
   SendState(0);
   Print("MT5Bridge: connected to the brain at ", InpHost, ":", InpPort);
  }

void SendAccount(void)
  {
   bool hedging = AccountInfoInteger(ACCOUNT_MARGIN_MODE) == ACCOUNT_MARGIN_MODE_RETAIL_HEDGING;
   g_session.Send(FrameAccount(g_session.NextSeq(), AccountInfoInteger(ACCOUNT_LOGIN),
                               AccountInfoDouble(ACCOUNT_BALANCE), AccountInfoDouble(ACCOUNT_EQUITY),
                               AccountInfoDouble(ACCOUNT_MARGIN), AccountInfoDouble(ACCOUNT_MARGIN_FREE),
                               AccountInfoInteger(ACCOUNT_LEVERAGE), AccountInfoString(ACCOUNT_CURRENCY),
                               hedging, NowMs()));
  }

string Sessions(const string symbol)
  {
   string out = "";
   for(int day = 0; day < 7; day++)
      for(uint idx = 0; idx < 10; idx++)
        {
         datetime from = 0, to = 0;
         if(!SymbolInfoSessionTrade(symbol, (ENUM_DAY_OF_WEEK)day, idx, from, to))
            break;
         int a = (int)(from % 86400) / 60;
         int b = to >= 86400 ? 1440 : (int)(to % 86400) / 60;
         if(b <= a)
            continue;
         out += (out == "" ? "" : ";") + IntegerToString(day) + ":" + StringFormat("%02d%02d", a / 60, a % 60) + "-" +
                StringFormat("%02d%02d", b / 60, b % 60);
        }
   return(out);
  }

void SendSpec(const string s)
  {
   double rate_initial = 0.0, rate_maintenance = 0.0;
   if(!SymbolInfoMarginRate(s, ORDER_TYPE_BUY, rate_initial, rate_maintenance))
      rate_initial = 1.0;
   g_session.Send(FrameSpec(g_session.NextSeq(), s, SymbolInfoInteger(s, SYMBOL_DIGITS),
                            SymbolInfoDouble(s, SYMBOL_POINT), SymbolInfoDouble(s, SYMBOL_TRADE_TICK_SIZE),
                            SymbolInfoDouble(s, SYMBOL_TRADE_TICK_VALUE), SymbolInfoDouble(s, SYMBOL_TRADE_CONTRACT_SIZE),
                            SymbolInfoDouble(s, SYMBOL_VOLUME_MIN), SymbolInfoDouble(s, SYMBOL_VOLUME_STEP),
                            SymbolInfoDouble(s, SYMBOL_VOLUME_MAX), SymbolInfoInteger(s, SYMBOL_TRADE_STOPS_LEVEL),
                            SymbolInfoInteger(s, SYMBOL_TRADE_FREEZE_LEVEL), SymbolInfoInteger(s, SYMBOL_FILLING_MODE),
                            SymbolInfoInteger(s, SYMBOL_TRADE_MODE), rate_initial, SymbolInfoDouble(s, SYMBOL_SWAP_LONG),
                            SymbolInfoDouble(s, SYMBOL_SWAP_SHORT), Sessions(s)));
  }

bool SendPosition(const ulong ticket)
  {
   if(!PositionSelectByTicket(ticket))
      return(false);
   string comment = PositionGetString(POSITION_COMMENT);
   g_session.Send(FramePosition(g_session.NextSeq(), ticket, PositionGetString(POSITION_SYMBOL),
                                PositionGetInteger(POSITION_TYPE) == POSITION_TYPE_BUY,
                                PositionGetDouble(POSITION_VOLUME), PositionGetDouble(POSITION_PRICE_OPEN),
                                PositionGetDouble(POSITION_SL), PositionGetDouble(POSITION_TP),
                                PositionGetInteger(POSITION_MAGIC), PositionGetDouble(POSITION_PROFIT),
                                PositionGetDouble(POSITION_SWAP), PositionGetInteger(POSITION_TIME_MSC),
                                g_exec.Knows(comment) ? comment : ""));
   return(true);
  }

void SendOrder(const ulong ticket)
  {
   if(!OrderSelect(ticket))
      return;
   string comment = OrderGetString(ORDER_COMMENT);
   g_session.Send(FrameOrder(g_session.NextSeq(), ticket, g_exec.Knows(comment) ? comment : "",
                             OrderGetString(ORDER_SYMBOL), (int)OrderGetInteger(ORDER_TYPE),
                             OrderGetDouble(ORDER_VOLUME_CURRENT), OrderGetDouble(ORDER_PRICE_OPEN),
                             OrderGetDouble(ORDER_SL), OrderGetDouble(ORDER_TP), OrderGetInteger(ORDER_MAGIC),
                             OrderGetInteger(ORDER_TIME_SETUP_MSC)));
  }

//--- what the terminal says of itself (TERMINFO): at each state, and when a flag changes
string g_terminfo = "";

string TerminalInfoBody(void)
  {
   return(IntegerToString(TerminalInfoInteger(TERMINAL_BUILD)) + "|" +
          IntegerToString(TerminalInfoInteger(TERMINAL_CONNECTED)) + "|" +
          IntegerToString(TerminalInfoInteger(TERMINAL_TRADE_ALLOWED)) + "|" +
          IntegerToString(MQLInfoInteger(MQL_TRADE_ALLOWED)) + "|" +
          IntegerToString(AccountInfoInteger(ACCOUNT_TRADE_ALLOWED)) + "|" +
          IntegerToString(AccountInfoInteger(ACCOUNT_TRADE_EXPERT)) + "|" +
          IntegerToString(AccountInfoInteger(ACCOUNT_TRADE_MODE)));
  }

void SendTerminalInfo(void)
  {
   g_terminfo = TerminalInfoBody();
   g_session.Send(FrameTerminalInfo(g_session.NextSeq(), TerminalInfoInteger(TERMINAL_BUILD),
                                    TerminalInfoInteger(TERMINAL_CONNECTED) != 0,
                                    TerminalInfoInteger(TERMINAL_TRADE_ALLOWED) != 0,
                                    MQLInfoInteger(MQL_TRADE_ALLOWED) != 0,
                                    AccountInfoInteger(ACCOUNT_TRADE_ALLOWED) != 0,
                                    AccountInfoInteger(ACCOUNT_TRADE_EXPERT) != 0,
                                    AccountInfoInteger(ACCOUNT_TRADE_MODE), NowMs(),
                                    (long)TimeGMT() * 1000, AccountInfoString(ACCOUNT_COMPANY)));
  }

//--- the whole state: on connect (req_id 0) and for every SNAPREQ
void SendState(const long req_id)
  {
   SendAccount();
   SendTerminalInfo();
   for(int i = 0; i < ArraySize(g_symbols); i++)
      SendSpec(g_symbols[i]);
   if(req_id == 0)   // on connect: the current quotes, so the brain prices at once
      for(int i = 0; i < ArraySize(g_symbols); i++)
        {
         MqlTick t;
         if(SymbolInfoTick(g_symbols[i], t))
            g_session.Send(FrameTick(g_session.NextSeq(), g_symbols[i], t.time_msc, t.bid, t.ask, t.last,
                                     (long)t.volume, (long)t.flags));
        }
   int positions = PositionsTotal();
   for(int i = 0; i < positions; i++)
      SendPosition(PositionGetTicket(i));
   int orders = OrdersTotal();
   for(int i = 0; i < orders; i++)
      SendOrder(OrderGetTicket(i));
   g_session.Send(FrameSnapEnd(g_session.NextSeq(), req_id, positions, orders));
  }

//--- every tick since the last one sent (CopyTicks: OnTick only covers the chart's symbol)
void StreamTicks(void)
  {
   for(int i = 0; i < ArraySize(g_symbols); i++)
     {
      if(g_last_msc[i] < 0)
        {
         MqlTick first;
         if(!SymbolInfoTick(g_symbols[i], first) || first.time_msc <= 0)
            continue;   // still no quote for this symbol
         g_last_msc[i] = first.time_msc;
         g_same_msc[i] = 0;   // the first tick itself is sent
        }
      MqlTick ticks[];
      int n = CopyTicks(g_symbols[i], ticks, COPY_TICKS_ALL, (ulong)g_last_msc[i], 1000);
      int same = 0;
      for(int j = 0; j < n; j++)
        {
         if(ticks[j].time_msc < g_last_msc[i])
            continue;
         if(ticks[j].time_msc == g_last_msc[i])
           {
            same++;
            if(same <= g_same_msc[i])
               continue;                     // already sent
            g_same_msc[i] = same;
           }
         else
           {
            g_last_msc[i] = ticks[j].time_msc;
            g_same_msc[i] = 1;
            same = 1;
           }
         g_session.Send(FrameTick(g_session.NextSeq(), g_symbols[i], ticks[j].time_msc, ticks[j].bid, ticks[j].ask,
                                  ticks[j].last, (long)ticks[j].volume, (long)ticks[j].flags));
        }
     }
  }

//--- every M1 bar that closed since the last check
void StreamBars(void)
  {
   for(int i = 0; i < ArraySize(g_symbols); i++)
     {
      datetime cur = iTime(g_symbols[i], PERIOD_M1, 0);
      if(cur <= g_cur_bar[i] || g_cur_bar[i] == 0)
        {
         if(g_cur_bar[i] == 0)
            g_cur_bar[i] = cur;
         continue;
        }
      MqlRates rates[];
      int n = CopyRates(g_symbols[i], PERIOD_M1, g_cur_bar[i], cur - 60, rates);
      if(n < 0)
         continue;   // history not ready (still loading): asked again at the next pump
      for(int j = 0; j < n; j++)
         if(rates[j].time >= g_cur_bar[i] && rates[j].time < cur)
            g_session.Send(FrameBar(g_session.NextSeq(), g_symbols[i], (long)rates[j].time * 1000, rates[j].open,
                                    rates[j].high, rates[j].low, rates[j].close, rates[j].tick_volume,
                                    rates[j].spread));
      g_cur_bar[i] = cur;
      if(i == 0)
         SendAccount();
     }
  }

//--- commands from the brain; returns how many were handled
int HandleCommands(void)
  {
   BridgeCommand cmds[];
   int n = g_session.Poll(cmds);
   for(int i = 0; i < n; i++)
     {
      string tag = cmds[i].tag;
      if(tag == "OPEN" || tag == "CLOSE" || tag == "CLOSEBY" || tag == "MODIFY" || tag == "CANCEL")
        {
         if(cmds[i].deviation <= 0)
            cmds[i].deviation = InpDeviation;
         if(!TradeAllowed())
            g_session.Send(FrameResult(g_session.NextSeq(),
                                       ResultBody(cmds[i].client_id, 10027, 0, 0, 0.0, 0.0,
                                                  "algo trading is not allowed in the terminal")));
         else
            g_session.Send(FrameResult(g_session.NextSeq(), g_exec.Execute(cmds[i], InpMagicBase)));
         g_commands++;
         SendAccount();
         g_session.Heartbeat(NowMs());   // between commands too: one may have taken long
        }
      else
         if(tag == "QUERY")
            g_session.Send(FrameResult(g_session.NextSeq(), g_exec.Query(cmds[i].client_id)));
         else
            if(tag == "SNAPREQ")
               SendState(cmds[i].number);
            else
               if(tag == "DEALSINCE")
                  SendDealsSince(cmds[i].number, cmds[i].after_ms);
            else
               if(tag == "HISTREQ")
                  g_history.Add(g_session, cmds[i].number, cmds[i].symbol, cmds[i].after_ms, cmds[i].to_ms);
            else
               if(tag == "HALT")
                 {
                  g_exec.Halt(true);
                  Print("MT5Bridge: the brain halted trading: ", cmds[i].text);
                 }
     }
   return(n);
  }

//--- deals whose history could not be read when they were made, tried again (a minute at most)
void RetryDeals(void)
  {
   int kept = 0;
   for(int i = 0; i < ArraySize(g_pending_deals); i++)
     {
      ulong deal = g_pending_deals[i];
      if(HistoryDealSelect(deal))
        {
         ReportDeal(deal);
         continue;
        }
      if(++g_deal_tries[i] > 6000)
        {
         Print("MT5Bridge: deal ", deal, " never became readable (error ", GetLastError(), "): the brain ",
               "finds it at its next resynchronisation");
         continue;
        }
      g_pending_deals[kept] = deal;
      g_deal_tries[kept] = g_deal_tries[i];
      kept++;
     }
   ArrayResize(g_pending_deals, kept);
   ArrayResize(g_deal_tries, kept);
  }

void Pump(void)
  {
   StreamTicks();
   StreamBars();
   HandleCommands();
   if(g_history.Pending() > 0)
      g_history.Pump(g_session);   // a chunk per pump: heartbeats and commands keep going
   if(ArraySize(g_pending_deals) > 0)
      RetryDeals();
   //--- no heartbeat while the terminal has lost its broker: the brain halts on the silence
   bool broker = TerminalInfoInteger(TERMINAL_CONNECTED) != 0;
   if(broker != g_broker_connected)
      Print(broker ? "MT5Bridge: the terminal is connected to its broker again"
            : "MT5Bridge: the terminal lost its broker: no heartbeats until it is back");
   g_broker_connected = broker;
   if(broker)
      g_session.Heartbeat(NowMs());
   if(g_session.CheckSilence(InpSilenceMs))
      Print("MT5Bridge: ", g_session.LastError(), "; reconnecting");
   if(!g_session.IsOpen() && g_session.Refused())
     {
      g_status = "stopped";
      Alert("MT5Bridge: ", g_session.LastError());
     }
  }

void OnTick(void)
  {
   if(g_session.IsOpen())
      Pump();
  }

//--- the timer fires every 10-16 ms in practice; for InpPollBudgetMs of it the EA waits for
//--- commands in 1 ms steps, then returns so that trade events (OnTradeTransaction) get through
void OnTimer(void)
  {
   static ulong shown = 0;
   if(GetMicrosecondCount() - shown > 1000000)   // the chart's status line, once a second
     {
      shown = GetMicrosecondCount();
      TradeAllowed();
      ShowStatus();
      if(g_session.IsOpen() && TerminalInfoBody() != g_terminfo)
         SendTerminalInfo();   // algo trading switched, the broker connection lost or back
     }
   if(!g_session.IsOpen())
     {
      if(!g_session.Refused())
         Connect();
      return;
     }
   ulong end = GetMicrosecondCount() + (ulong)(InpPollBudgetMs > 0 ? InpPollBudgetMs : 0) * 1000;
   Pump();
   while(g_session.IsOpen() && GetMicrosecondCount() < end)
     {
      if(HandleCommands() == 0)
         Sleep(1);
      StreamTicks();
     }
  }

void OnTradeTransaction(const MqlTradeTransaction &trans, const MqlTradeRequest &request, const MqlTradeResult &result)
  {
   if(!g_session.IsOpen())
      return;
   if(trans.type == TRADE_TRANSACTION_ORDER_ADD && trans.order_type >= ORDER_TYPE_BUY_LIMIT &&
      trans.order_type <= ORDER_TYPE_SELL_STOP)
     {
      SendOrder(trans.order);
      return;
     }
   if(trans.type == TRADE_TRANSACTION_ORDER_UPDATE && trans.order_type >= ORDER_TYPE_BUY_LIMIT &&
      trans.order_type <= ORDER_TYPE_SELL_STOP)
     {
      SendOrder(trans.order);   // a pending order changed (price, stops, expiry)
      return;
     }
   if(trans.type == TRADE_TRANSACTION_ORDER_DELETE && trans.order_type >= ORDER_TYPE_BUY_LIMIT &&
      trans.order_type <= ORDER_TYPE_SELL_STOP)
     {
      //--- a pending order left the book: a fill is told by its deal, anything else here
      if(trans.order_state != ORDER_STATE_FILLED && trans.order_state != ORDER_STATE_PARTIAL)
         g_session.Send(FrameOrderGone(g_session.NextSeq(), trans.order, (long)trans.order_state, NowMs()));
      return;
     }
   if(trans.type == TRADE_TRANSACTION_POSITION)
     {
      SendPosition(trans.position);   // SL or TP changed (by the server, a manual edit or a MODIFY)
      return;
     }
   if(trans.type != TRADE_TRANSACTION_DEAL_ADD)
      return;
   if(!HistoryDealSelect(trans.deal))
     {
      int k = ArraySize(g_pending_deals);   // not readable yet: tried again at every pump
      ArrayResize(g_pending_deals, k + 1);
      ArrayResize(g_deal_tries, k + 1);
      g_pending_deals[k] = trans.deal;
      g_deal_tries[k] = 0;
      return;
     }
   ReportDeal(trans.deal);
  }

//--- a deal, then its position as it is now (or that it is closed), then the account
void ReportDeal(const ulong deal)
  {
   ulong position = SendDeal(deal);
   if(!SendPosition(position))
      g_session.Send(FrameClosed(g_session.NextSeq(), position, HistoryDealGetInteger(deal, DEAL_TIME_MSC)));
   SendAccount();
  }

//--- one DEAL frame for a deal in the history; returns its position id
ulong SendDeal(const ulong deal)
  {
   string comment = HistoryDealGetString(deal, DEAL_COMMENT);
   ulong position = (ulong)HistoryDealGetInteger(deal, DEAL_POSITION_ID);
   g_session.Send(FrameDeal(g_session.NextSeq(), deal, (ulong)HistoryDealGetInteger(deal, DEAL_ORDER), position,
                            g_exec.Knows(comment) ? comment : "", HistoryDealGetString(deal, DEAL_SYMBOL),
                            HistoryDealGetInteger(deal, DEAL_TYPE) == DEAL_TYPE_BUY,
                            (int)HistoryDealGetInteger(deal, DEAL_ENTRY), HistoryDealGetDouble(deal, DEAL_VOLUME),
                            HistoryDealGetDouble(deal, DEAL_PRICE), HistoryDealGetDouble(deal, DEAL_COMMISSION),
                            HistoryDealGetDouble(deal, DEAL_SWAP), HistoryDealGetDouble(deal, DEAL_PROFIT),
                            HistoryDealGetInteger(deal, DEAL_MAGIC), HistoryDealGetInteger(deal, DEAL_TIME_MSC),
                            (int)HistoryDealGetInteger(deal, DEAL_REASON)));
   return(position);
  }

//--- DEALSINCE: every deal made after after_ms, oldest first, then SNAPEND with the request id
void SendDealsSince(const long req_id, const long after_ms)
  {
   if(HistorySelect((datetime)(after_ms / 1000), TimeCurrent() + 86400))
     {
      int total = HistoryDealsTotal();
      for(int i = 0; i < total; i++)
        {
         ulong deal = HistoryDealGetTicket(i);
         if(deal > 0 && HistoryDealGetInteger(deal, DEAL_TIME_MSC) > after_ms)
            SendDeal(deal);
        }
     }
   g_session.Send(FrameSnapEnd(g_session.NextSeq(), req_id, 0, 0));
  }
