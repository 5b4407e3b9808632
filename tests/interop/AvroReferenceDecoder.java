import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
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
 * Usage: java -cp <avro jars> AvroReferenceDecoder.java <message file> <schema file>...
 * Prints, one per line: each schema's Parsing Canonical Form and CRC-64-AVRO
 * fingerprint (signed decimal, as Java computes it), then the decoded record as JSON.
 */
public class AvroReferenceDecoder {
  public static void main(String[] args) throws Exception {
    byte[] message = Files.readAllBytes(Path.of(args[0]));
    SchemaStore.Cache store = new SchemaStore.Cache();
    List<Schema> schemas = new ArrayList<>();
    for (int i = 1; i < args.length; i++) {
      Schema schema = new Schema.Parser().parse(Files.readString(Path.of(args[i])));
      schemas.add(schema);
      store.addSchema(schema);
      System.out.println("canonical " + SchemaNormalization.toParsingForm(schema));
      System.out.println("fingerprint " + SchemaNormalization.parsingFingerprint64(schema));
    }
    Schema reader = schemas.get(schemas.size() - 1);
    BinaryMessageDecoder<GenericRecord> decoder = new BinaryMessageDecoder<>(GenericData.get(), reader, store);
    System.out.println("record " + decoder.decode(message));
  }
}
