//+------------------------------------------------------------------+
//| Executor.mqh: commands from the brain executed with OrderSend    |
//| Exactly once: every client order id is written to a file in the  |
//| terminal's sandbox before the order is sent and with its result  |
//| after; a repeated id is answered with the remembered result and  |
//| never executed again, also after an EA restart.                  |
//+------------------------------------------------------------------+
#ifndef MT5BRIDGE_EXECUTOR_MQH
#define MT5BRIDGE_EXECUTOR_MQH

#include "Codec.mqh"
#include "Memory.mqh"

//--- every command is one OrderSend of a request built here, its answer read from this call's
//--- own MqlTradeResult. CTrade is not used: its methods return false early (a netting account,
//--- a position gone) without clearing the previous result, which would then be reported as
//--- this command's.
class CBridgeExecutor
  {
private:
   CBridgeMemory     m_memory;
   bool              m_halted;
   ulong             m_magic;
   ulong             m_deviation;

   //--- read at every command: an account can be switched under a running EA
   bool              Hedging(void) const
     {
      return(AccountInfoInteger(ACCOUNT_MARGIN_MODE) == ACCOUNT_MARGIN_MODE_RETAIL_HEDGING);
     }

   ENUM_ORDER_TYPE_FILLING Filling(const string symbol, const int wanted) const
     {
      long modes = SymbolInfoInteger(symbol, SYMBOL_FILLING_MODE);
      if(wanted == 0)
         return(ORDER_FILLING_FOK);
      if(wanted == 1)
         return(ORDER_FILLING_IOC);
      if(wanted == 2)
         return(ORDER_FILLING_RETURN);
      if((modes & SYMBOL_FILLING_FOK) != 0)
         return(ORDER_FILLING_FOK);
      if((modes & SYMBOL_FILLING_IOC) != 0)
         return(ORDER_FILLING_IOC);
      return(ORDER_FILLING_RETURN);
     }

   double            Lots(const string symbol, const double volume) const
     {
      double step = SymbolInfoDouble(symbol, SYMBOL_VOLUME_STEP);
      double vmin = SymbolInfoDouble(symbol, SYMBOL_VOLUME_MIN);
      double vmax = SymbolInfoDouble(symbol, SYMBOL_VOLUME_MAX);
      if(step <= 0)
         return(volume);
      double lots = MathFloor(volume / step + 1e-9) * step;
      if(lots < vmin)
         return(0.0);
      return(NormalizeDouble(MathMin(lots, vmax), 8));
     }

   //--- stops closer than the stops level are refused here, with the retcode MT5 would give
   bool              StopsOk(const string symbol, const bool is_buy, const double ref, const double sl,
                             const double tp) const
     {
      double gap = (double)SymbolInfoInteger(symbol, SYMBOL_TRADE_STOPS_LEVEL) * SymbolInfoDouble(symbol, SYMBOL_POINT);
      double sign = is_buy ? 1.0 : -1.0;
      if(sl != 0.0 && sign * (ref - sl) < gap)
         return(false);
      if(tp != 0.0 && sign * (tp - ref) < gap)
         return(false);
      return(true);
     }

   //--- MT5 refuses to modify or close a position whose SL or TP is within the freeze level
   bool              Frozen(const ulong ticket) const
     {
      if(!PositionSelectByTicket(ticket))
         return(false);
      string symbol = PositionGetString(POSITION_SYMBOL);
      double gap = (double)SymbolInfoInteger(symbol, SYMBOL_TRADE_FREEZE_LEVEL) * SymbolInfoDouble(symbol, SYMBOL_POINT);
      if(gap <= 0.0)
         return(false);
      bool is_buy = PositionGetInteger(POSITION_TYPE) == POSITION_TYPE_BUY;
      double px = is_buy ? SymbolInfoDouble(symbol, SYMBOL_BID) : SymbolInfoDouble(symbol, SYMBOL_ASK);
      double sl = PositionGetDouble(POSITION_SL);
      double tp = PositionGetDouble(POSITION_TP);
      return((sl != 0.0 && MathAbs(px - sl) < gap) || (tp != 0.0 && MathAbs(px - tp) < gap));
     }

   //--- one request sent; the answer is this request's own
   string            Send(const string client_id, MqlTradeRequest &req)
     {
      MqlTradeResult res;
      ZeroMemory(res);
      ResetLastError();
      bool sent = OrderSend(req, res);
      if(!sent && res.retcode == 0)
         return(Refuse(client_id, 10013, "OrderSend failed before reaching the server (error " +
                       IntegerToString(GetLastError()) + ")"));
      string text = res.comment != "" ? res.comment : (sent ? "request completed" : "request refused");
      return(ResultBody(client_id, (long)res.retcode, (long)res.order, (long)res.deal, res.volume, res.price, text));
     }

   string            Refuse(const string client_id, const long retcode, const string text)
     {
      return(ResultBody(client_id, retcode, 0, 0, 0.0, 0.0, text));
     }

public:
                     CBridgeExecutor(void) : m_halted(false), m_magic(0), m_deviation(0) {}

   void              Init(const long login)
     {
      m_memory.Load("MT5Bridge\\executed_" + IntegerToString(login) + ".txt");
     }

   void              Halt(const bool halted) { m_halted = halted; }
   bool              Knows(const string client_id) const { return(m_memory.Find(client_id) >= 0); }

   //--- the answer to QUERY: the remembered result, or retcode 0 (never received)
   string            Query(const string client_id)
     {
      int i = m_memory.Find(client_id);
      if(i < 0)
         return(Refuse(client_id, 0, "no record of this client order id"));
      if(m_memory.Result(i) == BRIDGE_PENDING)
         return(Refuse(client_id, 10011, "sent before an EA restart; outcome unknown: see positions and orders"));
      return(m_memory.Result(i));
     }

   //--- execute one trade command; returns the body of its RESULT frame
   string            Execute(const BridgeCommand &cmd, const long magic_default)
     {
      if(Knows(cmd.client_id))
         return(Query(cmd.client_id));   // exactly once
      if(m_halted && cmd.tag == "OPEN")
         return(Refuse(cmd.client_id, 10027, "the brain halted trading"));
      if(!m_memory.Remember(cmd.client_id, BRIDGE_PENDING))   // exactly once needs the record first
         return(Refuse(cmd.client_id, 10013, "the EA cannot record the order id (file error " +
                       IntegerToString(GetLastError()) + "): not sent"));
      m_magic = (ulong)(cmd.magic > 0 ? cmd.magic : magic_default);
      m_deviation = (ulong)MathMax(cmd.deviation, 0);
      string result = "";
      if(cmd.tag == "OPEN")
         result = Open(cmd);
      else
         if(cmd.tag == "CLOSE")
            result = Close(cmd);
         else
            if(cmd.tag == "CLOSEBY")
               result = CloseBy(cmd);
            else
               if(cmd.tag == "MODIFY")
                  result = Modify(cmd);
               else
                  if(cmd.tag == "CANCEL")
                     result = Cancel(cmd);
                  else
                     result = Refuse(cmd.client_id, 10013, "unknown command " + cmd.tag);
      m_memory.Remember(cmd.client_id, result);
      return(result);
     }

   string            Open(const BridgeCommand &cmd)
     {
      string symbol = cmd.symbol;
      if(!SymbolSelect(symbol, true))
         return(Refuse(cmd.client_id, 10013, "unknown symbol " + symbol));
      int digits = (int)SymbolInfoInteger(symbol, SYMBOL_DIGITS);
      double lots = Lots(symbol, cmd.volume);
      if(lots <= 0.0)
         return(Refuse(cmd.client_id, 10014, "volume " + BridgeNum(cmd.volume) + " below the symbol's minimum"));
      bool is_buy = cmd.order_type % 2 == 0;
      bool market = cmd.order_type <= 1;
      double sl = cmd.sl != 0.0 ? NormalizeDouble(cmd.sl, digits) : 0.0;
      double tp = cmd.tp != 0.0 ? NormalizeDouble(cmd.tp, digits) : 0.0;
      MqlTick tick;
      if(!SymbolInfoTick(symbol, tick) || tick.bid <= 0.0 || tick.ask <= 0.0)
         return(Refuse(cmd.client_id, 10021, "no quotes for " + symbol));
      double ref = market ? (is_buy ? tick.bid : tick.ask) : NormalizeDouble(cmd.price, digits);
      if(!StopsOk(symbol, is_buy, ref, sl, tp))
         return(Refuse(cmd.client_id, 10016, "stops closer than the symbol's stops level"));
      MqlTradeRequest req;
      ZeroMemory(req);
      req.action = market ? TRADE_ACTION_DEAL : TRADE_ACTION_PENDING;
      req.symbol = symbol;
      req.volume = lots;
      req.type = (ENUM_ORDER_TYPE)cmd.order_type;
      //--- a market order carries the quote: Instant and Request execution need it, the
      //--- deviation bounds the slippage; a pending order its own price
      req.price = market ? (is_buy ? tick.ask : tick.bid) : NormalizeDouble(cmd.price, digits);
      req.sl = sl;
      req.tp = tp;
      req.deviation = m_deviation;
      req.magic = m_magic;
      req.comment = cmd.client_id;   // positions and deals carry the client order id
      req.type_filling = Filling(symbol, cmd.filling);
      string note = "";
      if(!market)
        {
         long modes = SymbolInfoInteger(symbol, SYMBOL_EXPIRATION_MODE);
         req.type_time = (modes & SYMBOL_EXPIRATION_GTC) != 0 ? ORDER_TIME_GTC : ORDER_TIME_DAY;
         if(req.type_time == ORDER_TIME_DAY)
            note = " (a day order: " + symbol + " takes no good-till-cancelled orders)";
        }
      string result = Send(cmd.client_id, req);
      return(note == "" ? result : result + note);
     }

   //--- a whole or partial close of one position. On a netting account the symbol has one
   //--- position: a partial close is an opposite deal of that volume, which reduces it
   string            Close(const BridgeCommand &cmd)
     {
      if(!PositionSelectByTicket(cmd.ticket))
         return(Refuse(cmd.client_id, 10036, "position " + IntegerToString((long)cmd.ticket) + " not found"));
      if(Frozen(cmd.ticket))
         return(Refuse(cmd.client_id, 10029, "SL or TP within the freeze level"));
      string symbol = PositionGetString(POSITION_SYMBOL);
      double have = PositionGetDouble(POSITION_VOLUME);
      double lots = cmd.volume > 0.0 ? MathMin(Lots(symbol, cmd.volume), have) : have;
      if(lots <= 0.0)
         return(Refuse(cmd.client_id, 10014, "close volume " + BridgeNum(cmd.volume) + " below the symbol's minimum"));
      bool is_buy = PositionGetInteger(POSITION_TYPE) == POSITION_TYPE_BUY;
      MqlTick tick;
      if(!SymbolInfoTick(symbol, tick) || tick.bid <= 0.0 || tick.ask <= 0.0)
         return(Refuse(cmd.client_id, 10021, "no quotes for " + symbol));
      MqlTradeRequest req;
      ZeroMemory(req);
      req.action = TRADE_ACTION_DEAL;
      req.symbol = symbol;
      req.volume = lots;
      req.type = is_buy ? ORDER_TYPE_SELL : ORDER_TYPE_BUY;
      req.price = is_buy ? tick.bid : tick.ask;
      req.deviation = m_deviation;
      req.magic = m_magic;
      req.comment = cmd.client_id;
      req.type_filling = Filling(symbol, -1);
      if(Hedging())
         req.position = cmd.ticket;
      return(Send(cmd.client_id, req));
     }

   string            CloseBy(const BridgeCommand &cmd)
     {
      if(!Hedging())
         return(Refuse(cmd.client_id, 10013, "close-by needs a hedging account: a netting account holds one "
                       "position per symbol"));
      if(!PositionSelectByTicket(cmd.ticket))
         return(Refuse(cmd.client_id, 10036, "position " + IntegerToString((long)cmd.ticket) + " not found"));
      string symbol = PositionGetString(POSITION_SYMBOL);
      long type = PositionGetInteger(POSITION_TYPE);
      if(!PositionSelectByTicket(cmd.opposite))
         return(Refuse(cmd.client_id, 10036, "position " + IntegerToString((long)cmd.opposite) + " not found"));
      if(PositionGetString(POSITION_SYMBOL) != symbol || PositionGetInteger(POSITION_TYPE) == type)
         return(Refuse(cmd.client_id, 10013, "close-by needs two opposite positions on one symbol"));
      MqlTradeRequest req;
      ZeroMemory(req);
      req.action = TRADE_ACTION_CLOSE_BY;
      req.position = cmd.ticket;
      req.position_by = cmd.opposite;
      req.magic = m_magic;
      return(Send(cmd.client_id, req));
     }

   string            Modify(const BridgeCommand &cmd)
     {
      if(!PositionSelectByTicket(cmd.ticket))
         return(Refuse(cmd.client_id, 10036, "position " + IntegerToString((long)cmd.ticket) + " not found"));
      if(Frozen(cmd.ticket))
         return(Refuse(cmd.client_id, 10029, "SL or TP within the freeze level"));
      string symbol = PositionGetString(POSITION_SYMBOL);
      int digits = (int)SymbolInfoInteger(symbol, SYMBOL_DIGITS);
      bool is_buy = PositionGetInteger(POSITION_TYPE) == POSITION_TYPE_BUY;
      double sl = cmd.sl != 0.0 ? NormalizeDouble(cmd.sl, digits) : 0.0;
      double tp = cmd.tp != 0.0 ? NormalizeDouble(cmd.tp, digits) : 0.0;
      double ref = is_buy ? SymbolInfoDouble(symbol, SYMBOL_BID) : SymbolInfoDouble(symbol, SYMBOL_ASK);
      if(!StopsOk(symbol, is_buy, ref, sl, tp))
         return(Refuse(cmd.client_id, 10016, "stops closer than the symbol's stops level"));
      MqlTradeRequest req;
      ZeroMemory(req);
      req.action = TRADE_ACTION_SLTP;
      req.position = cmd.ticket;
      req.symbol = symbol;
      req.sl = sl;
      req.tp = tp;
      req.magic = m_magic;
      return(Send(cmd.client_id, req));
     }

   string            Cancel(const BridgeCommand &cmd)
     {
      if(!OrderSelect(cmd.ticket))
         return(Refuse(cmd.client_id, 10013, "pending order " + IntegerToString((long)cmd.ticket) +
                       " not found (filled, cancelled or expired)"));
      MqlTradeRequest req;
      ZeroMemory(req);
      req.action = TRADE_ACTION_REMOVE;
      req.order = cmd.ticket;
      req.magic = m_magic;
      return(Send(cmd.client_id, req));
     }
  };

#endif
