//+------------------------------------------------------------------+
//| HistoryRun.mq5: the EA's history answer (History.mqh) run on     |
//| Linux against the real brain (tests/test_ea_history.py builds it |
//| with mql5/check/runtime/mql5_history_runtime.h, whose CopyRates  |
//| reads M1 bars from files and can play a terminal still loading). |
//| It connects, sends the terminal's state at its time now_ms, and  |
//| answers each HISTREQ as the EA's timer does, a chunk per pump.   |
//+------------------------------------------------------------------+
#include <MT5Bridge\Session.mqh>
#include <MT5Bridge\History.mqh>

int HistoryMain(const string host, const int port, const string secret, const long now_ms)
  {
   CBridgeSession s;
   BridgeHistory history;
   s.Configure(host, (uint)port, secret, "history", 4242, "History-Demo");
   if(!s.Open(5000))
     {
      Print("FAIL handshake: ", s.LastError());
      return(1);
     }
   s.Send(FrameAccount(s.NextSeq(), 4242, 10000.0, 10000.0, 0.0, 10000.0, 100, "USD", true, now_ms));
   s.Send(FrameSpec(s.NextSeq(), "US100", 2, 0.01, 0.01, 0.01, 1.0, 0.01, 0.01, 100.0, 0, 0, 2, 4, 1.0, 0.0, 0.0, ""));
   s.Send(FrameSpec(s.NextSeq(), "GOLD", 2, 0.01, 0.01, 1.0, 100.0, 0.01, 0.01, 100.0, 0, 0, 2, 4, 1.0, 0.0, 0.0, ""));
   s.Send(FrameSnapEnd(s.NextSeq(), 0, 0, 0));
   int asked = 0;
   ulong deadline = GetMicrosecondCount() + 20000000;
   ulong quiet_since = 0;
   while(GetMicrosecondCount() < deadline)
     {
      BridgeCommand cmds[];
      int n = s.Poll(cmds);
      for(int i = 0; i < n; i++)
         if(cmds[i].tag == "HISTREQ")
           {
            history.Add(s, cmds[i].number, cmds[i].symbol, cmds[i].after_ms, cmds[i].to_ms);
            asked++;
           }
      if(history.Pending() > 0)
        {
         history.Pump(s);
         quiet_since = 0;
        }
      else if(asked > 0 && quiet_since == 0)
         quiet_since = GetMicrosecondCount();
      if(quiet_since > 0 && GetMicrosecondCount() - quiet_since > 1000000)
         break;   // every request answered, and none more for a second
      s.Heartbeat(now_ms);
      Sleep(10);   // the EA's timer
     }
   Print("OK history requests answered: ", asked);
   s.Close();
   return(asked > 0 ? 0 : 1);
  }
