//+------------------------------------------------------------------+
//| Conformance.mq5: the EA's transport and codec, run on Linux      |
//| against the real brain (tests/test_ea_conformance.py builds it   |
//| with mql5/check/runtime and the golden vectors of                |
//| fixtures/protocol, written to ConformanceVectors.mqh).           |
//+------------------------------------------------------------------+
#include <MT5Bridge\Session.mqh>
#include <MT5Bridge\Memory.mqh>

int g_failures = 0;
string g_position = "";   // the POS frame body of the position the brain's order opened

void Check(const string got, const string want)
  {
   if(got != want)
     {
      Print("MISMATCH got  ", got);
      Print("         want ", want);
      g_failures++;
     }
  }

//--- a decoded command as one canonical line, for comparison with the vector's fields
string Describe(const string frame)
  {
   BridgeCommand c;
   string err = "";
   if(!BridgeDecode(frame, c, err))
      return("ERROR " + err);
   return(c.tag + "|" + IntegerToString(c.seq) + "|" + c.client_id + "|" + c.symbol + "|" +
          IntegerToString(c.order_type) + "|" + BridgeNum(c.volume) + "|" + BridgeNum(c.price) + "|" +
          BridgeNum(c.sl) + "|" + BridgeNum(c.tp) + "|" + IntegerToString(c.magic) + "|" +
          IntegerToString(c.deviation) + "|" + IntegerToString(c.filling) + "|" + c.comment + "|" +
          IntegerToString((long)c.ticket) + "|" + IntegerToString((long)c.opposite) + "|" +
          IntegerToString(c.number) + "|" + c.text + "|" + c.version + "|" + IntegerToString(c.after_ms) + "|" +
          c.proof + "|" + IntegerToString(c.to_ms));
  }

#include "ConformanceVectors.mqh"

//--- wait up to ms for a command with this tag; answers nothing
bool WaitFor(CBridgeSession &s, const string tag, BridgeCommand &found, const int ms)
  {
   ulong deadline = GetMicrosecondCount() + (ulong)ms * 1000;
   while(GetMicrosecondCount() < deadline)
     {
      BridgeCommand cmds[];
      int n = s.Poll(cmds);
      for(int i = 0; i < n; i++)
         if(cmds[i].tag == tag)
           {
            found = cmds[i];
            return(true);
           }
      Sleep(2);
     }
   return(false);
  }

void SendState(CBridgeSession &s, const long req_id)
  {
   s.Send(FrameAccount(s.NextSeq(), 4242, 10000.0, 10000.0, 0.0, 10000.0, 100, "USD", true, 1767607200000));
   s.Send(FrameSpec(s.NextSeq(), "US100", 2, 0.01, 0.01, 0.01, 1.0, 0.01, 0.01, 100.0, 0, 0, 2, 4, 1.0, 0.0, 0.0, ""));
   if(g_position != "")
      s.Send("POS|" + IntegerToString(s.NextSeq()) + "|" + g_position);
   s.Send(FrameSnapEnd(s.NextSeq(), req_id, g_position != "" ? 1 : 0, 0));
  }

int Live(const string host, const int port, const string secret)
  {
   CBridgeSession s;
   s.Configure(host, (uint)port, secret, "conformance", 4242, "Conformance-Demo");
   if(!s.Open(5000))
     {
      Print("FAIL handshake: ", s.LastError());
      return(1);
     }
   Print("OK handshake");
   SendState(s, 0);
   for(int i = 0; i < 5; i++)
      s.Send(FrameTick(s.NextSeq(), "US100", 1767607200000 + i * 1000, 21000.0 + i, 21001.5 + i, 0.0, 1, 6));
   BridgeCommand open;
   if(!WaitFor(s, "OPEN", open, 5000))
     {
      Print("FAIL no OPEN command from the brain");
      return(1);
     }
   s.Send(FrameResult(s.NextSeq(), ResultBody(open.client_id, 10009, 777, 888, open.volume, 21005.5, "request completed")));
   s.Send(FrameDeal(s.NextSeq(), 888, 777, 777, open.client_id, open.symbol, open.order_type == 0, 0, open.volume,
                    21005.5, 0.0, 0.0, 0.0, open.magic, 1767607205000, 3));
   string pos = FramePosition(s.NextSeq(), 777, open.symbol, open.order_type == 0, open.volume, 21005.5, open.sl,
                              open.tp, open.magic, 0.0, 0.0, 1767607205000, open.client_id);
   s.Send(pos);
   g_position = StringSubstr(pos, StringFind(pos, "|", 4) + 1);   // the body after "POS|seq|"
   Print("OK order ", open.client_id, " ", BridgeNum(open.volume), " lots answered");
   //--- heartbeats both ways
   ulong until = GetMicrosecondCount() + (ulong)(3 * s.HeartbeatMs()) * 1000;
   while(GetMicrosecondCount() < until)
     {
      BridgeCommand none[];
      s.Poll(none);
      s.Heartbeat(1767607206000);
      Sleep(5);
     }
   if(s.HeartbeatsReceived() < 2)
     {
      Print("FAIL heartbeats from the brain: ", s.HeartbeatsReceived());
      return(1);
     }
   Print("OK heartbeats ", s.HeartbeatsReceived());
   //--- reconnect: a new connection, the handshake again, the state again, ticks go on
   s.Close();
   if(!s.Open(5000))
     {
      Print("FAIL reconnect: ", s.LastError());
      return(1);
     }
   SendState(s, 0);
   //--- a terminal coming back is asked for the fills made since the brain last knew them all
   BridgeCommand since;
   if(!WaitFor(s, "DEALSINCE", since, 5000))
     {
      Print("FAIL no DEALSINCE after the reconnect");
      return(1);
     }
   s.Send(FrameDeal(s.NextSeq(), 888, 777, 777, open.client_id, open.symbol, open.order_type == 0, 0, open.volume,
                    21005.5, 0.0, 0.0, 0.0, open.magic, 1767607205000, 3));
   s.Send(FrameSnapEnd(s.NextSeq(), since.number, 0, 0));
   s.Send(FrameTick(s.NextSeq(), "US100", 1767607210000, 21010.0, 21011.5, 0.0, 1, 6));
   Sleep(200);
   Print("OK reconnected; gaps ", s.Gaps(), " bad frames ", s.BadFrames());
   s.Close();
   return(0);
  }

//--- the exactly-once memory across an EA restart: a new instance loads what the old one wrote
int MemoryRestart(void)
  {
   string file = "MT5Bridge\\executed_conformance.txt";
   FileDelete(file);
   CBridgeMemory before;
   before.SetCapacity(5);
   before.Load(file);
   before.Remember("b-1", BRIDGE_PENDING);
   before.Remember("b-1", "b-1|10009|77|88|0.1|21000.5|done");
   before.Remember("b-2", BRIDGE_PENDING);                  // the EA dies with b-2 in flight
   CBridgeMemory after;                                      // the EA restarts
   after.SetCapacity(5);
   after.Load(file);
   if(after.Count() != 2 || after.Find("b-1") < 0 || after.Result(after.Find("b-1")) != "b-1|10009|77|88|0.1|21000.5|done")
     {
      Print("FAIL memory: b-1 not remembered across the restart");
      return(1);
     }
   if(after.Find("b-2") < 0 || after.Result(after.Find("b-2")) != BRIDGE_PENDING)
     {
      Print("FAIL memory: b-2 in flight not remembered as pending");
      return(1);
     }
   for(int i = 3; i <= 9; i++)
      after.Remember("b-" + IntegerToString(i), "r");
   CBridgeMemory again;
   again.SetCapacity(5);
   again.Load(file);
   if(again.Count() != 5 || again.Find("b-1") >= 0 || again.Find("b-9") < 0 || again.Find("b-5") < 0)
     {
      Print("FAIL memory: the newest 5 ids are not the ones kept");
      return(1);
     }
   Print("OK memory across restart: ", IntegerToString(again.Count()), " ids kept, pending kept as pending");
   return(0);
  }

//--- another EA of this terminal takes the session over: this one is told and stops (it never
//--- reconnects to take the session back, nor streams on into a session that is gone)
int Replaced(const string host, const int port, const string secret)
  {
   CBridgeSession s;
   s.Configure(host, (uint)port, secret, "conformance", 4242, "Conformance-Demo");
   if(!s.Open(5000))
     {
      Print("FAIL handshake: ", s.LastError());
      return(1);
     }
   SendState(s, 0);
   Print("OK handshake");
   ulong deadline = GetMicrosecondCount() + 10000000;
   while(GetMicrosecondCount() < deadline && s.IsOpen())
     {
      BridgeCommand none[];
      s.Poll(none);
      if(s.IsOpen())
         s.Send(FrameHeartbeat(s.NextSeq(), 1767607206000));   // streams on, as a zombie would
      Sleep(20);
     }
   if(s.IsOpen())
     {
      Print("FAIL still streaming after being replaced");
      return(1);
     }
   Print("OK ended: ", s.LastError(), s.Refused() ? " (stops: no reconnect)" : " (would reconnect)");
   return(0);
  }

//--- a call that blocks the EA longer than its silence limit (a slow OrderSend): the brain's
//--- frames waiting in the socket are its sign of life, not silence
int SlowCall(const string host, const int port, const string secret)
  {
   CBridgeSession s;
   s.Configure(host, (uint)port, secret, "conformance", 4242, "Conformance-Demo");
   if(!s.Open(5000))
     {
      Print("FAIL handshake: ", s.LastError());
      return(1);
     }
   SendState(s, 0);
   Sleep(1500);   // nothing read meanwhile; the brain sends heartbeats every 200 ms
   if(s.CheckSilence(1000))
     {
      Print("FAIL a live brain taken for silent after a slow call: ", s.LastError());
      return(1);
     }
   BridgeCommand none[];
   s.Poll(none);
   Print("OK a slow call: the frames waiting counted as life; heartbeats ", s.HeartbeatsReceived());
   return(0);
  }

int ConformanceMain(const string host, const int port, const string secret, const string mode)
  {
   if(mode == "replaced")
      return(Replaced(host, port, secret));
   if(mode == "slowcall")
      return(SlowCall(host, port, secret));
   if(port < 0)
      return(MemoryRestart());
   Vectors();
   Print("vectors: ", IntegerToString(g_failures), " mismatch(es)");
   if(g_failures > 0)
      return(2);
   if(port <= 0)
      return(0);
   return(Live(host, port, secret));
  }
