import { AssignerProtocol, type PartitionAssigner } from 'kafkajs'

/**
 * Gives each member the same partition numbers of every subscribed topic, like Kafka
 * Streams does for co-partitioned inputs: all events of an order (one partition number
 * across topics) are then handled by one worker, so per-order state has one writer.
 */
export const coPartitionedAssigner: PartitionAssigner = ({ cluster }) => {
  const metadataOf = (topic: string): Array<{ partitionId: number }> =>
    (
      cluster as unknown as {
        findTopicPartitionMetadata: (t: string) => Array<{ partitionId: number }>
      }
    ).findTopicPartitionMetadata(topic)
  return {
    name: 'CoPartitionedAssigner',
    version: 0,
    async assign({ members, topics }) {
      const memberIds = members.map((m) => m.memberId).sort()
      const partitionCount = Math.max(0, ...topics.map((t) => metadataOf(t).length))
      const assignment = new Map<string, Record<string, number[]>>(
        memberIds.map((id) => [id, Object.fromEntries(topics.map((t) => [t, [] as number[]]))]),
      )
      for (let partition = 0; partition < partitionCount; partition++) {
        const owner = assignment.get(memberIds[partition % memberIds.length] as string)
        for (const topic of topics) {
          if (partition < metadataOf(topic).length) owner?.[topic]?.push(partition)
        }
      }
      return [...assignment].map(([memberId, topicPartitions]) => ({
        memberId,
        memberAssignment: AssignerProtocol.MemberAssignment.encode({
          version: 0,
          assignment: topicPartitions,
          userData: Buffer.alloc(0),
        }),
      }))
    },
    protocol({ topics }) {
      return {
        name: 'CoPartitionedAssigner',
        metadata: AssignerProtocol.MemberMetadata.encode({
          version: 0,
          topics,
          userData: Buffer.alloc(0),
        }),
      }
    },
  }
}
