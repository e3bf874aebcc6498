//+------------------------------------------------------------------+
//| Memory.mqh: the EA's exactly-once memory. Every client order id  |
//| is written to a file in the terminal's sandbox before its order  |
//| is sent ("pending") and again with its result; a restarted EA    |
//| loads it, so a repeated id is answered, never executed again.    |
//| The newest BRIDGE_MEMORY_SIZE ids are kept; loading compacts the |
//| file to them. Ids are found through a hash index (FNV-1a, open   |
//| addressing): a load is linear in the file's lines, a lookup      |
//| constant; dropping the oldest id rebuilds the index.             |
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
   uint              m_hashes[];
   int               m_slots[];      // hash index: 1 + the id's position, 0 for a free slot
   int               m_count;
   int               m_capacity;

   static uint       Hash(const string text)
     {
      uint h = 2166136261;
      int n = StringLen(text);
      for(int i = 0; i < n; i++)
        {
         h ^= (uint)StringGetCharacter(text, i);
         h *= 16777619;
        }
      return(h);
     }

   //--- keep only the newest ``keep`` ids
   void              DropOldest(const int keep)
     {
      int drop = m_count - keep;
      if(drop <= 0)
         return;
      for(int j = drop; j < m_count; j++)
        {
         m_ids[j - drop] = m_ids[j];
         m_results[j - drop] = m_results[j];
         m_hashes[j - drop] = m_hashes[j];
        }
      m_count = keep;
      Reindex();
     }

   void              Slot(const int i)
     {
      int mask = ArraySize(m_slots) - 1;
      int k = (int)(m_hashes[i] & (uint)mask);
      while(m_slots[k] != 0)
         k = (k + 1) & mask;
      m_slots[k] = i + 1;
     }

   //--- a table at most half full
   void              Reindex(void)
     {
      int size = 64;
      while(size < 2 * (m_count + 1))
         size *= 2;
      ArrayResize(m_slots, size);
      ArrayInitialize(m_slots, 0);
      for(int i = 0; i < m_count; i++)
         Slot(i);
     }

   //--- in memory only; when full (``evict``), the oldest id leaves
   void              Put(const string client_id, const string result, const bool evict)
     {
      uint h = Hash(client_id);
      int i = FindHashed(client_id, h);
      if(i < 0)
        {
         if(evict && m_count >= m_capacity)
            DropOldest(m_capacity - 1);
         ArrayResize(m_ids, m_count + 1, 1024);
         ArrayResize(m_results, m_count + 1, 1024);
         ArrayResize(m_hashes, m_count + 1, 1024);
         i = m_count++;
         m_ids[i] = client_id;
         m_hashes[i] = h;
         if(2 * m_count > ArraySize(m_slots))
            Reindex();
         else
            Slot(i);
        }
      m_results[i] = result;
     }

   int               FindHashed(const string client_id, const uint h) const
     {
      int mask = ArraySize(m_slots) - 1;
      if(mask < 0)
         return(-1);
      for(int k = (int)(h & (uint)mask); m_slots[k] != 0; k = (k + 1) & mask)
        {
         int i = m_slots[k] - 1;
         if(m_hashes[i] == h && m_ids[i] == client_id)
            return(i);
        }
      return(-1);
     }

public:
                     CBridgeMemory(void) : m_count(0), m_capacity(BRIDGE_MEMORY_SIZE) {}
   void              SetCapacity(const int n) { m_capacity = n > 0 ? n : 1; }
   int               Count(void) const { return(m_count); }
   string            Result(const int i) const { return(m_results[i]); }

   int               Find(const string client_id) const { return(FindHashed(client_id, Hash(client_id))); }

   //--- load what an earlier run remembered, then rewrite the file with what is kept
   void              Load(const string file)
     {
      m_file = file;
      m_count = 0;
      ArrayResize(m_ids, 0);
      ArrayResize(m_results, 0);
      ArrayResize(m_hashes, 0);
      Reindex();
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
            Put(StringSubstr(line, 0, tab), StringSubstr(line, tab + 1), false);
        }
      FileClose(h);
      DropOldest(m_capacity);
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
      Put(client_id, result, true);
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
