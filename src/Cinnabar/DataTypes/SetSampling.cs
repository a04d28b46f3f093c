namespace Cinnabar.DataTypes;

/// <summary>A collection addressed by positions, some of which may be free (hashtable slots).</summary>
public interface IPositionalCollection
{
    int Count { get; }
    int PositionEnd { get; }
    bool IsLive(int pos);
    int RandomPosition(Random random);
}

/// <summary>Random sampling shared by SPOP, SRANDMEMBER and HRANDFIELD.</summary>
public static class SetSampling
{
    /// <summary>
    /// <paramref name="count"/> distinct live positions chosen uniformly (count must be below the size).
    /// Like Redis, a large share is drawn by shuffling all positions, a small one by rejection sampling.
    /// </summary>
    public static int[] Distinct(IPositionalCollection items, int count, Random random)
    {
        int size = items.Count;
        var result = new int[count];
        if ((long)count * 3 > size)
        {
            var all = new int[size];
            int n = 0;
            for (int p = 0; p < items.PositionEnd; p++)
                if (items.IsLive(p)) all[n++] = p;
            // Partial Fisher-Yates: the first count slots become a uniform sample.
            for (int i = 0; i < count; i++)
            {
                int j = random.Next(i, n);
                (all[i], all[j]) = (all[j], all[i]);
                result[i] = all[i];
            }
            return result;
        }
        var seen = new HashSet<int>(count);
        int k = 0;
        while (k < count)
        {
            int p = items.RandomPosition(random);
            if (seen.Add(p)) result[k++] = p;
        }
        return result;
    }
}
