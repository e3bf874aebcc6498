//+------------------------------------------------------------------+
//| Memory.mqh: the EA's exactly-once memory. Every client order id  |
//| is written to a file in the terminal's sandbox before its order  |
//| is sent ("pending") and again with its result; a restarted EA    |
//| loads it, so a repeated id is answered, never executed again.    |
//| The newest BRIDGE_MEMORY_SIZE ids are kept; loading compacts the |
//| file to them.                                                    |
//+------------------------------------------------------------------+
#ifndef MT5BRIDGE_MEMORY_MQH
#define MT5BRIDGE_MEMORY_MQH

#define BRIDGE_MEMORY_SIZE 5000
#define BRIDGE_PENDING     "pending"

class CBridgeMemory
  {
private:
   string            m_file;
   string            m_ids[];
   string            m_results[];
   int               m_count;
   int               m_capacity;

   //--- in memory only; the oldest id leaves when full
   void              Put(const string client_id, const string result)
     {
      int i = Find(client_id);
      if(i < 0)
        {
         if(m_count >= m_capacity)
           {
            for(int j = 1; j < m_count; j++)
              {
               m_ids[j - 1] = m_ids[j];
               m_results[j - 1] = m_results[j];
              }
            m_count--;
           }
         ArrayResize(m_ids, m_count + 1);
         ArrayResize(m_results, m_count + 1);
         i = m_count++;
         m_ids[i] = client_id;
        }
      m_results[i] = result;
     }

public:
                     CBridgeMemory(void) : m_count(0), m_capacity(BRIDGE_MEMORY_SIZE) {}
   void              SetCapacity(const int n) { m_capacity = n > 0 ? n : 1; }
   int               Count(void) const { return(m_count); }
   string            Result(const int i) const { return(m_results[i]); }

   int               Find(const string client_id) const
     {
      for(int i = m_count - 1; i >= 0; i--)
         if(m_ids[i] == client_id)
            return(i);
      return(-1);
     }

   //--- load what an earlier run remembered, then rewrite the file with what is kept
   void              Load(const string file)
     {
      m_file = file;
      m_count = 0;
      ArrayResize(m_ids, 0);
      ArrayResize(m_results, 0);
      ResetLastError();
      int h = FileOpen(m_file, FILE_READ | FILE_SHARE_READ | FILE_TXT | FILE_ANSI);
      if(h == INVALID_HANDLE)
        {
         if(GetLastError() != ERR_FILE_NOT_EXIST && GetLastError() != ERR_FILE_CANNOT_OPEN)
            Print("MT5Bridge: cannot read ", m_file, " (error ", GetLastError(), ")");
         return;
        }
      while(!FileIsEnding(h))
        {
         string line = FileReadString(h);
         int tab = StringFind(line, "\t");
         if(tab > 0)
            Put(StringSubstr(line, 0, tab), StringSubstr(line, tab + 1));
        }
      FileClose(h);
      h = FileOpen(m_file, FILE_WRITE | FILE_SHARE_READ | FILE_TXT | FILE_ANSI);
      if(h == INVALID_HANDLE)
        {
         Print("MT5Bridge: cannot rewrite ", m_file, " (error ", GetLastError(), ")");
         return;
        }
      for(int i = 0; i < m_count; i++)
         FileWriteString(h, m_ids[i] + "\t" + m_results[i] + "\r\n");
      FileClose(h);
     }

   //--- remember an outcome: in memory, and appended to the file before anything else happens;
   //--- false when the file cannot be written (then a restart would not know the id)
   bool              Remember(const string client_id, const string result)
     {
      Put(client_id, result);
      ResetLastError();
      int h = FileOpen(m_file, FILE_READ | FILE_WRITE | FILE_SHARE_READ | FILE_TXT | FILE_ANSI);
      if(h == INVALID_HANDLE)
        {
         Print("MT5Bridge: cannot write ", m_file, " (error ", GetLastError(), ")");
         return(false);
        }
      FileSeek(h, 0, SEEK_END);
      bool ok = FileWriteString(h, client_id + "\t" + result + "\r\n") > 0;
      FileClose(h);
      return(ok);
     }
  };

#endif
