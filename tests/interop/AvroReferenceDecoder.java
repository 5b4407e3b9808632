import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.avro.Schema;
import org.apache.avro.SchemaNormalization;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.message.BinaryMessageDecoder;
import org.apache.avro.message.SchemaStore;

/**
 * The independent side of the wire-format check: the reference Java Avro
 * library decodes a single-object message knowing only the schema files.
 *
 * Usage: java -cp <avro jars> AvroReferenceDecoder.java <message file>=<schema file>[=<writer schema file>]...
 * With a writer schema the message is read as the schema file's version,
 * resolving from the writer's, as a consumer on another version would.
 * For each pair prints three lines: the (reader) schema's Parsing Canonical
 * Form, its CRC-64-AVRO fingerprint (signed decimal, as Java computes it),
 * and either "record" with the message decoded as JSON or "error" with why it
 * could not be read. One JVM for all pairs keeps the check fast.
 */
public class AvroReferenceDecoder {
  public static void main(String[] args) throws Exception {
    for (String pair : args) {
      String[] files = pair.split("=", 3);
      Schema schema = new Schema.Parser().parse(Files.readString(Path.of(files[1])));
      SchemaStore.Cache store = new SchemaStore.Cache();
      store.addSchema(schema);
      if (files.length == 3) store.addSchema(new Schema.Parser().parse(Files.readString(Path.of(files[2]))));
      BinaryMessageDecoder<GenericRecord> decoder = new BinaryMessageDecoder<>(GenericData.get(), schema, store);
      System.out.println("canonical " + SchemaNormalization.toParsingForm(schema));
      System.out.println("fingerprint " + SchemaNormalization.parsingFingerprint64(schema));
      try {
        System.out.println("record " + decoder.decode(Files.readAllBytes(Path.of(files[0]))));
      } catch (Exception e) {
        // One line per pair: the caller reads three lines each.
        System.out.println("error " + String.valueOf(e).replace('\n', ' '));
      }
    }
  }
}
