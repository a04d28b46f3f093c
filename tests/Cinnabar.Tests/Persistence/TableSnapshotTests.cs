using System.Text;
using System.Threading;
using Cinnabar.Keyspace;
using Cinnabar.Persistence;

namespace Cinnabar.Tests.Persistence;

/// <summary>
/// The copy-on-write snapshot of a key table (BGSAVE, AOF rewrite): nothing is copied when it starts,
/// a page is copied only when a change reaches it before the reader did, and the reader sees the table
/// exactly as it was, whatever changes between its chunks.
/// </summary>
public class TableSnapshotTests
{
    private static byte[] B(string s) => Encoding.ASCII.GetBytes(s);

    private static KeyTable Filled(int n)
    {
        var t = new KeyTable();
        for (int i = 0; i < n; i++)
        {
            var key = B("k" + i);
            t.Add(key, KeyTable.HashOf(key), B("v" + i), i % 3 == 0 ? 1000 + i : 0);
        }
        return t;
    }

    private static Dictionary<string, string> Contents(IEnumerable<KeyEntry> entries) =>
        entries.Where(e => e.Key is not null).ToDictionary(e => Encoding.ASCII.GetString(e.Key!), e => Encoding.ASCII.GetString((byte[])e.Value!) + "@" + e.ExpireAt);

    [Fact]
    public void TheReaderSeesTheTableAsItWasWhateverChangesBetweenChunks()
    {
        const int n = 5 * DatabaseImage.ChunkEntries + 123; // several chunks of 16 pages
        var table = Filled(n);
        var expected = Contents(table.CopyEntries());
        var execLock = new Lock();
        var snapshot = table.BeginSnapshot();
        var image = new DatabaseImage(0, snapshot, execLock, table.Count, 0);
        var seen = new List<KeyEntry>();
        int chunk = 0;
        foreach (var part in image.Chunks())
        {
            seen.AddRange(part);
            // Between chunks, writes anywhere: before the reader (already read), after it (not read yet).
            for (int j = 0; j < 300; j++)
            {
                int k = (chunk * 7919 + j * 104729) % n;
                var key = B("k" + k);
                int i = table.Find(key);
                if (i < 0) continue;
                switch (j % 4)
                {
                    case 0: table.BeforeChange(i); table.EntryAt(i).Value = B("changed"); break;   // a handler writing through the entry
                    case 1: table.BeforeChange(i); table.EntryAt(i).ExpireAt = 42; break;
                    case 2: table.RemoveAt(i); break;
                    case 3:
                        table.RemoveAt(i);
                        var fresh = B("new" + k + "-" + chunk);
                        table.Add(fresh, KeyTable.HashOf(fresh), B("x")); // reuses the free slot just made
                        break;
                }
            }
            chunk++;
        }
        Assert.True(chunk >= 6);
        Assert.Equal(expected, Contents(seen));
        Assert.True(snapshot.SavedPages > 0);                 // pages were copied on write...
        Assert.True(snapshot.SavedPages < n / KeyTable.SnapshotPageSize); // ...not all of them
        Assert.NotEqual(expected, Contents(table.CopyEntries()));
        snapshot.End();
    }

    [Fact]
    public void StartingASnapshotCopiesNothingAndEndingItStopsTheCopies()
    {
        var table = Filled(3 * KeyTable.SnapshotPageSize);
        var snapshot = table.BeginSnapshot();
        Assert.Equal(0, snapshot.SavedPages);
        table.BeforeChange(5);
        table.BeforeChange(6); // same page: copied once
        Assert.Equal(1, snapshot.SavedPages);
        snapshot.End();
        table.BeforeChange(2 * KeyTable.SnapshotPageSize + 1);
        Assert.Equal(1, snapshot.SavedPages);
    }
}
