//+------------------------------------------------------------------+
//| Executor.mqh: commands from the brain executed with CTrade       |
//| Exactly once: every client order id is written to a file in the  |
//| terminal's sandbox before the order is sent and with its result  |
//| after; a repeated id is answered with the remembered result and  |
//| never executed again, also after an EA restart.                  |
//+------------------------------------------------------------------+
#ifndef MT5BRIDGE_EXECUTOR_MQH
#define MT5BRIDGE_EXECUTOR_MQH

#include <Trade\Trade.mqh>
#include "Codec.mqh"
#include "Memory.mqh"

class CBridgeExecutor
  {
private:
   CTrade            m_trade;
   CBridgeMemory     m_memory;
   bool              m_halted;

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

   string            Outcome(const string client_id)
     {
      return(ResultBody(client_id, (long)m_trade.ResultRetcode(), m_trade.ResultOrder(), m_trade.ResultDeal(),
                        m_trade.ResultVolume(), m_trade.ResultPrice(), m_trade.ResultRetcodeDescription()));
     }

   string            Refuse(const string client_id, const long retcode, const string text)
     {
      return(ResultBody(client_id, retcode, 0, 0, 0.0, 0.0, text));
     }

public:
                     CBridgeExecutor(void) : m_halted(false) {}

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
      m_memory.Remember(cmd.client_id, BRIDGE_PENDING);
      string result = "";
      m_trade.SetExpertMagicNumber((ulong)(cmd.magic > 0 ? cmd.magic : magic_default));
      m_trade.SetDeviationInPoints((ulong)MathMax(cmd.deviation, 0));
      if(cmd.tag == "OPEN")
         result = Open(cmd);
      else
         if(cmd.tag == "CLOSE")
           {
            if(!PositionSelectByTicket(cmd.ticket))
               result = Refuse(cmd.client_id, 10036, "position " + IntegerToString((long)cmd.ticket) + " not found");
            else
               if(Frozen(cmd.ticket))
                  result = Refuse(cmd.client_id, 10029, "SL or TP within the freeze level");
               else
              {
               string symbol = PositionGetString(POSITION_SYMBOL);
               double have = PositionGetDouble(POSITION_VOLUME);
               double lots = cmd.volume > 0.0 ? Lots(symbol, cmd.volume) : have;
               m_trade.SetTypeFilling(Filling(symbol, -1));
               bool done = lots >= have ? m_trade.PositionClose(cmd.ticket, (ulong)cmd.deviation)
                           : m_trade.PositionClosePartial(cmd.ticket, lots, (ulong)cmd.deviation);
               result = done || m_trade.ResultRetcode() != 0 ? Outcome(cmd.client_id)
                        : Refuse(cmd.client_id, 10013, "close request not sent");
              }
           }
         else
            if(cmd.tag == "CLOSEBY")
              {
               m_trade.PositionCloseBy(cmd.ticket, cmd.opposite);
               result = Outcome(cmd.client_id);
              }
            else
               if(cmd.tag == "MODIFY")
                 {
                  if(Frozen(cmd.ticket))
                     result = Refuse(cmd.client_id, 10029, "SL or TP within the freeze level");
                  else
                    {
                     m_trade.PositionModify(cmd.ticket, cmd.sl, cmd.tp);
                     result = Outcome(cmd.client_id);
                    }
                 }
               else
                  if(cmd.tag == "CANCEL")
                    {
                     m_trade.OrderDelete(cmd.ticket);
                     result = Outcome(cmd.client_id);
                    }
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
      double sl = cmd.sl != 0.0 ? NormalizeDouble(cmd.sl, digits) : 0.0;
      double tp = cmd.tp != 0.0 ? NormalizeDouble(cmd.tp, digits) : 0.0;
      MqlTick tick;
      if(!SymbolInfoTick(symbol, tick))
         return(Refuse(cmd.client_id, 10021, "no quotes for " + symbol));
      double ref = cmd.order_type <= 1 ? (is_buy ? tick.bid : tick.ask) : NormalizeDouble(cmd.price, digits);
      if(!StopsOk(symbol, is_buy, ref, sl, tp))
         return(Refuse(cmd.client_id, 10016, "stops closer than the symbol's stops level"));
      m_trade.SetTypeFilling(Filling(symbol, cmd.filling));
      string comment = cmd.client_id;   // positions and deals carry the client order id
      if(cmd.order_type <= 1)
         m_trade.PositionOpen(symbol, is_buy ? ORDER_TYPE_BUY : ORDER_TYPE_SELL, lots, 0.0, sl, tp, comment);
      else
         m_trade.OrderOpen(symbol, (ENUM_ORDER_TYPE)cmd.order_type, lots, 0.0, NormalizeDouble(cmd.price, digits),
                           sl, tp, ORDER_TIME_GTC, 0, comment);
      return(Outcome(cmd.client_id));
     }
  };

#endif
