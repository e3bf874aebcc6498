//+------------------------------------------------------------------+
//| History.mqh: answers the brain's HISTREQ (the closed M1 bars a    |
//| strategy needs before it trades) from CopyRates, in chunks.       |
//+------------------------------------------------------------------+
#property strict

#include <MT5Bridge\Session.mqh>

#define BRIDGE_HISTORY_OK         0
#define BRIDGE_HISTORY_NO_SYMBOL  1
#define BRIDGE_HISTORY_NOT_READY  2
#define BRIDGE_HISTORY_CHUNK      500   // HBAR frames per pump at most: heartbeats keep going
#define BRIDGE_HISTORY_TRIES      50    // pumps to wait while the terminal loads the range

//--- one request being answered
struct BridgeHistoryJob
  {
   long              req_id;
   string            symbol;
   long              from_ms;
   long              to_ms;
   int               tries;     // CopyRates calls that found the history still loading
   bool              copied;
   int               next;      // the next bar of rates[] to send
   int               sent;
   int               status;    // sent in the HISTEND
   MqlRates          rates[];
  };

class BridgeHistory
  {
private:
   BridgeHistoryJob  m_jobs[];

public:
   int               Pending(void) const { return(ArraySize(m_jobs)); }

   //--- a HISTREQ: answered over the next pumps (at once when the symbol does not exist)
   void              Add(CBridgeSession &session, const long req_id, const string symbol, const long from_ms,
                         const long to_ms)
     {
      if(!SymbolSelect(symbol, true))   // false: the terminal has no such symbol
        {
         session.Send(FrameHistoryEnd(session.NextSeq(), req_id, symbol, 0, BRIDGE_HISTORY_NO_SYMBOL));
         return;
        }
      int n = ArraySize(m_jobs);
      ArrayResize(m_jobs, n + 1);
      m_jobs[n].req_id = req_id;
      m_jobs[n].symbol = symbol;
      m_jobs[n].from_ms = from_ms;
      m_jobs[n].to_ms = to_ms;
      m_jobs[n].tries = 0;
      m_jobs[n].copied = false;
      m_jobs[n].next = 0;
      m_jobs[n].sent = 0;
      m_jobs[n].status = BRIDGE_HISTORY_OK;
     }

   //--- the first job's next chunk, sent; false when there was nothing to send
   bool              Pump(CBridgeSession &session)
     {
      if(ArraySize(m_jobs) == 0)
         return(false);
      if(!m_jobs[0].copied)
        {
         ResetLastError();
         datetime from = (datetime)(m_jobs[0].from_ms / 1000);
         datetime last_closed = iTime(m_jobs[0].symbol, PERIOD_M1, 0) - 60;   // never the open bar
         datetime to = (datetime)((m_jobs[0].to_ms - 1) / 1000);
         if(last_closed < to)
            to = last_closed;
         int n = to >= from ? CopyRates(m_jobs[0].symbol, PERIOD_M1, from, to, m_jobs[0].rates) : 0;
         //--- -1: the terminal is still loading that history (ERR_HISTORY_NOT_FOUND 4401, or no
         //--- error yet while it synchronises); a count while the series is not synchronised
         //--- with the trade server: only what was ready when the call's wait ran out (the
         //--- download goes on). Either way asked again at the next pump, then sent as it is
         //--- with the status "not loaded yet"
         bool synced = SeriesInfoInteger(m_jobs[0].symbol, PERIOD_M1, SERIES_SYNCHRONIZED) != 0;
         if(n < 0 || !synced)
           {
            m_jobs[0].tries++;
            if(m_jobs[0].tries < BRIDGE_HISTORY_TRIES)
               return(false);
            Print("MT5Bridge: the history of ", m_jobs[0].symbol, " was still loading (error ", GetLastError(),
                  "): the brain is told so");
            if(n <= 0)
              {
               Finish(session, BRIDGE_HISTORY_NOT_READY);
               return(true);
              }
            m_jobs[0].status = BRIDGE_HISTORY_NOT_READY;   // what it has, then the status
           }
         if(n == 0)
            ArrayResize(m_jobs[0].rates, 0);
         m_jobs[0].copied = true;
        }
      int total = ArraySize(m_jobs[0].rates);
      int made = 0;
      while(m_jobs[0].next < total && made < BRIDGE_HISTORY_CHUNK)
        {
         int i = m_jobs[0].next;
         m_jobs[0].next++;
         long t = (long)m_jobs[0].rates[i].time * 1000;
         if(t < m_jobs[0].from_ms || t >= m_jobs[0].to_ms)
            continue;
         session.Send(FrameHistoryBar(session.NextSeq(), m_jobs[0].req_id, m_jobs[0].symbol, t,
                                      m_jobs[0].rates[i].open, m_jobs[0].rates[i].high, m_jobs[0].rates[i].low,
                                      m_jobs[0].rates[i].close, m_jobs[0].rates[i].tick_volume,
                                      m_jobs[0].rates[i].spread));
         made++;
         m_jobs[0].sent++;
        }
      if(m_jobs[0].next >= total)
         Finish(session, m_jobs[0].status);
      return(true);
     }

private:
   void              Finish(CBridgeSession &session, const int status)
     {
      session.Send(FrameHistoryEnd(session.NextSeq(), m_jobs[0].req_id, m_jobs[0].symbol, m_jobs[0].sent, status));
      int jobs = ArraySize(m_jobs);
      for(int i = 1; i < jobs; i++)
         m_jobs[i - 1] = m_jobs[i];
      ArrayResize(m_jobs, jobs - 1);
     }
  };
