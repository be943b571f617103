import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Future;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Fills a topic with the records of other topics, `copies` times over, each into the partition
 * it came from: the bench's raw-read baseline (ConsumerPerformance) then reads millions of the
 * same records in one run, long enough to be steady. Kafka's own clients, so the copy takes
 * seconds. Run as a single-file program: java -cp 'libs/*' bench/PerfTopic.java ...
 *
 * Usage: PerfTopic <bootstrap> <target> <copies> <source topic>...
 */
public class PerfTopic {
  public static void main(String[] args) throws Exception {
    String bootstrap = args[0];
    String target = args[1];
    int copies = Integer.parseInt(args[2]);
    List<String> sources = List.of(args).subList(3, args.length);

    Properties consumerProps = new Properties();
    consumerProps.put("bootstrap.servers", bootstrap);
    consumerProps.put("key.deserializer", ByteArrayDeserializer.class.getName());
    consumerProps.put("value.deserializer", ByteArrayDeserializer.class.getName());
    consumerProps.put("max.poll.records", "10000");
    consumerProps.put("max.partition.fetch.bytes", Integer.toString(8 << 20));
    Properties producerProps = new Properties();
    producerProps.put("bootstrap.servers", bootstrap);
    producerProps.put("key.serializer", ByteArraySerializer.class.getName());
    producerProps.put("value.serializer", ByteArraySerializer.class.getName());
    producerProps.put("acks", "1");
    producerProps.put("linger.ms", "5");
    producerProps.put("batch.size", Integer.toString(1 << 20));
    producerProps.put("buffer.memory", Long.toString(256L << 20));

    long copied = 0;
    try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(consumerProps);
        KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(producerProps)) {
      List<TopicPartition> partitions = new ArrayList<>();
      for (String topic : sources) {
        consumer.partitionsFor(topic).forEach(p -> partitions.add(new TopicPartition(topic, p.partition())));
      }
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      Map<TopicPartition, Long> ends = consumer.endOffsets(partitions);
      List<Future<RecordMetadata>> last = new ArrayList<>();
      while (!done(consumer, partitions, ends)) {
        for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(500))) {
          for (int c = 0; c < copies; c++) {
            last.add(producer.send(new ProducerRecord<>(target, r.partition(), r.key(), r.value())));
          }
          copied += copies;
        }
        if (last.size() > 100_000) {
          for (Future<RecordMetadata> f : last) f.get();
          last.clear();
        }
      }
      producer.flush();
      for (Future<RecordMetadata> f : last) f.get();
    }
    System.out.println(copied);
  }

  private static boolean done(
      KafkaConsumer<byte[], byte[]> consumer,
      List<TopicPartition> partitions,
      Map<TopicPartition, Long> ends) {
    for (TopicPartition p : partitions) {
      if (consumer.position(p) < ends.get(p)) return false;
    }
    return true;
  }
}
