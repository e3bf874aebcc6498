//+------------------------------------------------------------------+
//| ExecutorRun.mq5: the EA's Executor run on Linux against the      |
//| project's broker simulator (tests/test_ea_executor.py builds it  |
//| with mql5/check/runtime/mql5_trade_runtime.h): each command      |
//| frame given is executed and its RESULT body printed.             |
//+------------------------------------------------------------------+
#include <MT5Bridge\Executor.mqh>

CBridgeExecutor g_exec;
bool            g_ready = false;

void ExecuteFrame(const string frame)
  {
   if(!g_ready)
     {
      g_exec.Init(4242);
      g_ready = true;
     }
   BridgeCommand cmd;
   string err = "";
   if(!BridgeDecode(frame, cmd, err))
     {
      Print("BAD ", err);
      return;
     }
   if(cmd.tag == "QUERY")
     {
      Print("RESULT ", g_exec.Query(cmd.client_id));
      return;
     }
   Print("RESULT ", g_exec.Execute(cmd, 1000));
  }
